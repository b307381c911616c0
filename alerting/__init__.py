"""Real-time volunteer responder alerting: incidents in from a CAD, alerts out to responders."""
