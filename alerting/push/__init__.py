"""Push providers behind one small interface (`base.PushProvider`), one per kind of device.

Web Push (`webpush.py`, browsers), FCM HTTP v1 (`fcm.py`, Android) and APNs over HTTP/2 with
token-based auth (`apns.py`, iOS). `configured.py` builds the ones a deployment's settings give
credentials for; `retry.py` sends a push again when its service was busy (429, 5xx); `native.py`
says what a push through Google or Apple may carry (no place) and its notification's words.

A provider has a `kind`, `send(target, message)` where `target` is what the app registered
(`{endpoint, keys}`, `{token}`, `{device_token, topic}`; alerting/api/schemas.py validates it),
raising `SubscriptionGone` when the service says the device is unregistered and `PushRetryable`
when sending again later may work; `refusal(target)` for a device it could never reach; and
`aclose()`. `PUT /v1/me/push-subscription` accepts a kind once a provider for it exists, and
`GET /v1/me/push-config` lists it.
"""
