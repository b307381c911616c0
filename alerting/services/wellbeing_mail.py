"""The email to a trust's wellbeing contacts when a responder needs to talk, over SMTP.

It names the responder and points at the console's wellbeing queue; the answers stay in the
console, behind its sign-in. Without `smtp_host` nothing is sent and the log says so: the request
is in the queue all the same. A failed send is logged, never raised: the answer has committed.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from alerting.services.context import Services
from alerting.settings import Settings

log = logging.getLogger(__name__)


def message(settings: Settings, *, to: tuple[str, ...], responder: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = ", ".join(to)
    mail["Subject"] = f"{responder} would like to talk after an alert"
    where = (
        f"{settings.public_url.rstrip('/')}/admin#wellbeing" if settings.public_url else "the console's Wellbeing page"
    )
    mail.set_content(
        f"{responder} answered the check-in after a call they went to: they would like to talk to someone.\n\n"
        f"Their answers are in the wellbeing queue: {where}\n"
    )
    return mail


def _send(settings: Settings, mail: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(mail)


async def need_to_talk(services: Services, *, trust_id: str, to: tuple[str, ...], responder: str) -> bool:
    """True when the email went to the SMTP server."""
    settings = services.settings
    if not to:
        log.warning("a responder needs to talk; the trust has no wellbeing contacts", extra={"trust_id": trust_id})
        return False
    if settings.smtp_host is None:
        log.warning(
            "a responder needs to talk; email is not configured (ALERTING_SMTP_HOST), the request is only queued",
            extra={"trust_id": trust_id},
        )
        return False
    try:
        await asyncio.to_thread(_send, settings, message(settings, to=to, responder=responder))
    except (OSError, smtplib.SMTPException) as exc:
        log.error("wellbeing email failed", extra={"trust_id": trust_id, "error": str(exc)})
        return False
    log.info("wellbeing email sent", extra={"trust_id": trust_id, "recipients": len(to)})
    return True
