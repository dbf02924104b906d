"""Mailing the outbox by SMTP (the standard library's smtplib), when SMTP_HOST is set.

Settings, read from the environment each time `send_pending` runs:

    SMTP_HOST       the mail server; unset or empty = mail is off (messages stay in the app only)
    SMTP_PORT       default 587 with STARTTLS, else 25
    SMTP_USER       log in with this user name (optional)
    SMTP_PASSWORD   … and this password
    SMTP_FROM       the sender, e.g. "Chợ Phiên <no-reply@chophien.vn>" (default: SMTP_USER if it is an
                    address, else no-reply@<SMTP_HOST>)
    SMTP_STARTTLS   1/true/yes/on: upgrade the connection with STARTTLS before logging in (default off)

`send_pending(session, limit)` takes the oldest unsent notifications that have an address and fewer than
MAX_ATTEMPTS failed tries, sends them over one connection (in a worker thread: smtplib blocks), and records
`sent_at`, or `last_error` and one more attempt. On PostgreSQL the rows are locked with SKIP LOCKED, so two
mailers running at once never send the same message twice. It writes in the caller's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.notify.models import Notification
from app.settings import get_settings

MAX_ATTEMPTS = 5
ERROR_MAX = 500

SmtpFactory = Callable[..., Any]
"""smtplib.SMTP or a stand-in with the same methods (connect in the constructor, ehlo, starttls, login,
send_message, quit)."""


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    user: str = ""
    password: str = ""
    sender: str = ""
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailSettings | None:
        """The settings, or None when SMTP_HOST is not set (mail is off)."""
        env = os.environ if env is None else env
        host = (env.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        starttls = _flag(env.get("SMTP_STARTTLS"))
        raw_port = (env.get("SMTP_PORT") or "").strip()
        port = int(raw_port) if raw_port.isdigit() else (587 if starttls else 25)
        user = (env.get("SMTP_USER") or "").strip()
        sender = (env.get("SMTP_FROM") or "").strip() or (user if "@" in user else f"no-reply@{host}")
        return cls(
            host=host,
            port=port,
            user=user,
            password=env.get("SMTP_PASSWORD") or "",
            sender=sender,
            starttls=starttls,
        )


@dataclass(frozen=True)
class MailReport:
    configured: bool
    sent: int = 0
    failed: int = 0


def _address(value: str) -> str:
    """ "Chợ Phiên <a@b.vn>" with its name encoded for a mail header (the address stays as it is)."""
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def build_message(notification: Notification, sender: str, public_url: str) -> Message:
    """A plain-text UTF-8 mail. The subject is encoded with email.header.Header: the default policy's
    folding drops the space between two encoded words (a CPython bug), which would glue Vietnamese words
    together in long subjects."""
    body = notification.body.strip()
    if notification.link:
        body = f"{body}\n\n{public_url.rstrip('/')}{notification.link}".strip()
    message = MIMEText(body + "\n", "plain", "utf-8")
    message["Subject"] = Header(notification.subject, "utf-8")  # type: ignore[assignment]
    message["From"] = _address(sender)
    message["To"] = notification.email
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    return message


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = "; ".join(
            f"{address}: {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
            for address, (code, reply) in exc.recipients.items()
        )
        return f"recipient refused: {refusals}"[:ERROR_MAX]
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        return f"{exc.smtp_code} {reply}"[:ERROR_MAX]
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


def deliver(
    settings: MailSettings, messages: Sequence[tuple[int, Message]], smtp_factory: SmtpFactory
) -> dict[int, str | None]:
    """Send over one connection (blocking). Returns id → None when the server took it, else the error."""
    results: dict[int, str | None] = {}
    try:
        smtp = smtp_factory(settings.host, settings.port, timeout=settings.timeout)
        try:
            smtp.ehlo()
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password)
            for notification_id, message in messages:
                try:
                    smtp.send_message(message)
                    results[notification_id] = None
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused,
                ) as exc:
                    # This message only: the connection is still good (smtplib sent RSET).
                    results[notification_id] = _describe(exc)
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    except (smtplib.SMTPException, OSError, UnicodeError) as exc:
        # UnicodeError: smtplib sends the user name and password as ASCII only.
        error = _describe(exc)
        for notification_id, _message in messages:
            results.setdefault(notification_id, error)
    return results


async def send_pending(
    session: AsyncSession,
    limit: int = 100,
    *,
    settings: MailSettings | None = None,
    smtp_factory: SmtpFactory = smtplib.SMTP,
    public_url: str | None = None,
) -> MailReport:
    """Mail up to `limit` unsent notifications; nothing happens when SMTP is not configured."""
    settings = settings or MailSettings.from_env()
    if settings is None:
        return MailReport(configured=False)
    stmt = (
        select(Notification)
        .where(
            Notification.sent_at.is_(None),
            Notification.email != "",
            Notification.attempts < MAX_ATTEMPTS,
        )
        .order_by(Notification.id)
        .limit(max(1, limit))
        .with_for_update(skip_locked=True)
    )
    pending = (await session.scalars(stmt)).all()
    if not pending:
        return MailReport(configured=True)
    base = public_url if public_url is not None else get_settings().public_url
    messages = [(n.id, build_message(n, settings.sender, base)) for n in pending]
    results = await asyncio.to_thread(deliver, settings, messages, smtp_factory)
    now = dt.datetime.now(dt.UTC)
    sent = failed = 0
    for notification in pending:
        error = results.get(notification.id, "not sent")
        notification.attempts += 1
        if error is None:
            notification.sent_at = now
            notification.last_error = ""
            sent += 1
        else:
            notification.last_error = error[:ERROR_MAX]
            failed += 1
    await session.flush()
    return MailReport(configured=True, sent=sent, failed=failed)
