"""Push providers behind one small interface (`base.PushProvider`); Web Push first."""
