"""Push providers behind one small interface (`base.PushProvider`), one per kind of device.

Web Push (`webpush.py`) is the first. To add FCM or APNs: implement `PushProvider` with its `kind`
(`PushKind.FCM`, `PushKind.APNS`) and `send(target, message)`, where `target` is what the app
registered (`{token}`, `{device_token, topic}`; alerting/api/schemas.py validates it), raising
`SubscriptionGone` when the service says the device is unregistered; give its credentials a
setting; add it to the `PushProviders` in `build_services`. `PUT /v1/me/push-subscription`
accepts a kind once a provider for it exists, and `GET /v1/me/push-config` lists it.
"""
