"""The email channel: a plain-text message through an SMTP relay (aiosmtplib).

The recipient's address comes from the unit directory (several may be given, separated
by commas). Urgent notifications are marked high priority. A 4xx answer or a lost
connection is retried; a 5xx (the relay refuses for good) is not.
"""

from email.message import EmailMessage
from typing import Any, TypedDict
from urllib.parse import unquote, urlsplit

import aiosmtplib

from safetynet.notify.domain import DeliveryResult, Notification, RetryPolicy


def message_for(notification: Notification, *, sender: str) -> EmailMessage:
    n = notification
    message = EmailMessage()
    message["From"] = sender
    message["To"] = n.address or ""
    message["Subject"] = n.subject
    message["X-SafetyNet-Notification"] = n.notification_id
    if n.urgent:
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    lines = [n.subject, ""] + [f"{key}: {_text(value)}" for key, value in sorted(n.content.items())]
    message.set_content("\n".join(lines) + "\n")
    return message


def _text(value: Any) -> str:
    """A content value as a reader expects it: a list as "a, b", not Python's repr."""
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


class SmtpOptions(TypedDict):
    """Where and how to reach the relay: aiosmtplib.send's connection keywords."""

    hostname: str
    port: int | None
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None


class _SmtpConnection(SmtpOptions):
    timeout: float


def smtp_options(url: str) -> SmtpOptions:
    """EmailChannel's connection keywords from an SMTP URL (SAFETYNET_SMTP_URL):

        smtp://host[:port]             plain, upgraded by STARTTLS when the relay offers it
        smtp+starttls://host[:port]    STARTTLS required (port 587 by default)
        smtps://user:password@host[:port]   TLS from the start (port 465 by default)

    user and password are percent-decoded; without a port, aiosmtplib picks the usual
    one for the mode (25, 587 or 465)."""
    parts = urlsplit(url)
    modes: dict[str, tuple[bool, bool | None]] = {  # scheme -> (use_tls, start_tls)
        "smtp": (False, None),
        "smtp+starttls": (False, True),
        "smtps": (True, False),
    }
    if parts.scheme not in modes or not parts.hostname:
        raise ValueError("an SMTP URL is smtp://, smtp+starttls:// or smtps:// and names a host")
    use_tls, start_tls = modes[parts.scheme]
    return SmtpOptions(
        hostname=parts.hostname,
        port=parts.port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


class EmailChannel:
    name = "email"

    @classmethod
    def from_url(cls, url: str, *, sender: str, **kw: Any) -> "EmailChannel":
        return cls(sender=sender, **smtp_options(url), **kw)

    def __init__(
        self,
        *,
        hostname: str,
        sender: str,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ):
        self._smtp = _SmtpConnection(
            hostname=hostname,
            port=port,
            username=username,
            password=password,
            use_tls=use_tls,
            start_tls=start_tls,
            timeout=timeout,
        )
        self._sender = sender
        self.retry = retry or RetryPolicy(max_attempts=6, base_seconds=30, cap_seconds=1800)

    async def send(self, notification: Notification) -> DeliveryResult:
        recipients = [a.strip() for a in (notification.address or "").split(",") if a.strip()]
        if not recipients:
            return DeliveryResult("failed", f"no email address for {notification.recipient}", retryable=False)
        try:
            refused, _ = await aiosmtplib.send(
                message_for(notification, sender=self._sender), sender=self._sender, recipients=recipients, **self._smtp
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            # Every recipient refused: worth retrying only if some refusal was temporary
            # (a 4xx like "mailbox busy"); 5xx ones are for good.
            return DeliveryResult(
                "failed",
                f"recipients refused: {_refusals(error.recipients)}",
                retryable=any(r.code < 500 for r in error.recipients),
            )
        except aiosmtplib.SMTPResponseException as error:
            return DeliveryResult("failed", f"SMTP {error.code}: {error.message}", retryable=error.code < 500)
        except (aiosmtplib.SMTPException, OSError) as error:
            return DeliveryResult("failed", f"{type(error).__name__}: {error}")
        detail = f"accepted by {self._smtp['hostname']}"
        if refused:  # some recipients got it: a retry would send it to them again, so say so instead
            detail += "; refused: " + ", ".join(f"{who} ({r.code} {r.message})" for who, r in refused.items())
        return DeliveryResult("delivered", detail)


def _refusals(refusals: list[aiosmtplib.SMTPRecipientRefused]) -> str:
    return ", ".join(f"{r.recipient} ({r.code} {r.message})" for r in refusals)
