"""The mailer against a real SMTP conversation: a tiny SMTP responder written here runs in a thread on a
local port (aiosmtpd is not installed), and the mailer talks to it with the standard library's smtplib.
Sent messages get `sent_at`; a refused recipient or an unreachable server leaves `last_error` and one more
attempt; after MAX_ATTEMPTS a message is no longer tried; with no SMTP_HOST nothing happens. STARTTLS is
checked with a stand-in SMTP class (the responder speaks no TLS)."""

from __future__ import annotations

import base64
import email
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.notify.mailer import MAX_ATTEMPTS, MailSettings, send_pending
from app.notify.models import Notification
from app.notify.services import NotificationService
from tests.integration.test_fairs_c_services import person


@dataclass
class Mailbox:
    refuse: set[str] = field(default_factory=set)
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class SmtpResponder(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    server: SmtpServer

    def reply(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())
        self.wfile.flush()

    def handle(self) -> None:
        box = self.server.mailbox
        sender, recipients = "", []
        self.reply("220 test.local ESMTP ready")
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb, _sep, argument = command.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-test.local", "250-AUTH PLAIN", "250-8BITMIME", "250 SIZE 1000000")
            elif verb == "HELO":
                self.reply("250 test.local")
            elif verb == "AUTH":
                _mechanism, _sep, token = argument.partition(" ")
                box.logins.append(base64.b64decode(token).decode())
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = argument.partition(":")[2].split(" ")[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = argument.partition(":")[2].strip().strip("<>")
                if address in box.refuse:
                    self.reply("550 5.1.1 No such user here")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                parsed = email.message_from_bytes(bytes(data), policy=policy.default)
                box.messages.append((sender, recipients, parsed))  # type: ignore[arg-type]
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpResponder)
        self.mailbox = Mailbox()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def settings_for(server: SmtpServer, **extra: Any) -> MailSettings:
    host, port = server.server_address[:2]
    return MailSettings(
        host=str(host), port=int(port), sender="Chợ Phiên <no-reply@chophien.vn>", timeout=5, **extra
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def outbox(db: AsyncSession) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id).execution_options(populate_existing=True)
    return list((await db.scalars(stmt)).all())


async def write(db: AsyncSession, *emails: str) -> list[Notification]:
    users = [await person(db, email=address, locale="vi") for address in emails]
    written = await NotificationService(db).notify(
        [u.id for u in users],
        subject="Đơn đăng ký của bạn đã được chấp nhận",
        body="Hội chợ OCOP Vĩnh Long đã chấp nhận đơn của HTX Dừa.",
        link="/applications/7",
        topic="fairs.application.accepted",
    )
    await db.commit()
    return written


async def test_pending_messages_are_mailed_and_marked_sent(db: AsyncSession, smtp: SmtpServer) -> None:
    await write(db, "a@htx.vn", "b@htx.vn")
    report = await send_pending(db, 10, settings=settings_for(smtp), public_url="https://chophien.vn")
    await db.commit()
    assert (report.configured, report.sent, report.failed) == (True, 2, 0)
    stored = await outbox(db)
    assert all(n.sent_at is not None and n.attempts == 1 and n.last_error == "" for n in stored)
    assert [to for _sender, to, _m in smtp.mailbox.messages] == [["a@htx.vn"], ["b@htx.vn"]]
    sender, _to, message = smtp.mailbox.messages[0]
    assert sender == "no-reply@chophien.vn"
    assert message["Subject"] == "Đơn đăng ký của bạn đã được chấp nhận"
    assert message["To"] == "a@htx.vn"
    body = message.get_content()
    assert "HTX Dừa" in body and "https://chophien.vn/applications/7" in body
    # Sent once: a second run finds nothing to send.
    again = await send_pending(db, 10, settings=settings_for(smtp))
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp.mailbox.messages) == 2


async def test_the_mailer_logs_in_when_a_user_is_set(db: AsyncSession, smtp: SmtpServer) -> None:
    await write(db, "a@htx.vn")
    report = await send_pending(db, 10, settings=settings_for(smtp, user="mailer", password="bi-mat"))
    assert report.sent == 1
    assert smtp.mailbox.logins == ["\0mailer\0bi-mat"]


async def test_a_password_smtplib_cannot_send_is_an_error_not_a_crash(
    db: AsyncSession, smtp: SmtpServer
) -> None:
    await write(db, "a@htx.vn")
    report = await send_pending(db, 10, settings=settings_for(smtp, user="mailer", password="bí-mật"))
    assert (report.sent, report.failed) == (0, 1)
    [stored] = await outbox(db)
    assert "UnicodeEncodeError" in stored.last_error and stored.attempts == 1


async def test_a_refused_recipient_keeps_its_error_and_the_others_go(
    db: AsyncSession, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse.add("nobody@htx.vn")
    await write(db, "a@htx.vn", "nobody@htx.vn", "c@htx.vn")
    report = await send_pending(db, 10, settings=settings_for(smtp))
    await db.commit()
    assert (report.sent, report.failed) == (2, 1)
    by_email = {n.email: n for n in await outbox(db)}
    refused = by_email["nobody@htx.vn"]
    assert refused.sent_at is None and refused.attempts == 1 and "550" in refused.last_error
    assert by_email["c@htx.vn"].sent_at is not None
    assert [to for _s, to, _m in smtp.mailbox.messages] == [["a@htx.vn"], ["c@htx.vn"]]


async def test_an_unreachable_server_is_retried_up_to_the_limit(db: AsyncSession) -> None:
    await write(db, "a@htx.vn")
    dead = MailSettings(host="127.0.0.1", port=free_port(), sender="x@chophien.vn", timeout=2)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await send_pending(db, 10, settings=dead)
        await db.commit()
        assert report.failed == 1
        [stored] = await outbox(db)
        assert stored.attempts == attempt and stored.sent_at is None and stored.last_error
    report = await send_pending(db, 10, settings=dead)
    assert (report.sent, report.failed) == (0, 0)  # given up: it stays in the app only


async def test_the_limit_is_respected_oldest_first(db: AsyncSession, smtp: SmtpServer) -> None:
    await write(db, "a@htx.vn", "b@htx.vn", "c@htx.vn")
    report = await send_pending(db, 2, settings=settings_for(smtp))
    await db.commit()
    assert report.sent == 2
    assert [n.sent_at is not None for n in await outbox(db)] == [True, True, False]


async def test_without_smtp_host_nothing_is_sent(db: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_HOST", raising=False)
    await write(db, "a@htx.vn")
    report = await send_pending(db, 10)
    assert not report.configured
    [stored] = await outbox(db)
    assert stored.attempts == 0 and stored.sent_at is None


class FakeSmtp:
    """Records the conversation smtplib.SMTP would have."""

    calls: list[str] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        FakeSmtp.calls.append(f"connect {host}:{port}")

    def ehlo(self) -> None:
        FakeSmtp.calls.append("ehlo")

    def starttls(self, context: Any = None) -> None:
        FakeSmtp.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        FakeSmtp.calls.append(f"login {user}")

    def send_message(self, message: EmailMessage) -> None:
        FakeSmtp.calls.append(f"send {message['To']}")

    def quit(self) -> None:
        FakeSmtp.calls.append("quit")


async def test_starttls_comes_before_the_login(db: AsyncSession) -> None:
    FakeSmtp.calls = []
    await write(db, "a@htx.vn")
    settings = MailSettings.from_env(
        {
            "SMTP_HOST": "smtp.example.vn",
            "SMTP_STARTTLS": "true",
            "SMTP_USER": "ocop@example.vn",
            "SMTP_PASSWORD": "pw",
        }
    )
    assert settings is not None
    report = await send_pending(db, 10, settings=settings, smtp_factory=FakeSmtp)
    assert report.sent == 1
    assert FakeSmtp.calls == [
        "connect smtp.example.vn:587",
        "ehlo",
        "starttls",
        "ehlo",
        "login ocop@example.vn",
        "send a@htx.vn",
        "quit",
    ]


def test_mail_settings_come_from_the_environment() -> None:
    assert MailSettings.from_env({}) is None
    assert MailSettings.from_env({"SMTP_HOST": "  "}) is None
    plain = MailSettings.from_env({"SMTP_HOST": "mail.local"})
    assert plain == MailSettings(host="mail.local", port=25, sender="no-reply@mail.local")
    full = MailSettings.from_env(
        {
            "SMTP_HOST": "smtp.gmail.com",
            "SMTP_PORT": "2525",
            "SMTP_USER": "bot@ocop.vn",
            "SMTP_PASSWORD": "pw",
            "SMTP_FROM": "Chợ Phiên <bot@ocop.vn>",
            "SMTP_STARTTLS": "1",
        }
    )
    assert full == MailSettings(
        host="smtp.gmail.com",
        port=2525,
        user="bot@ocop.vn",
        password="pw",
        sender="Chợ Phiên <bot@ocop.vn>",
        starttls=True,
    )
    assert MailSettings.from_env({"SMTP_HOST": "h", "SMTP_USER": "bot@ocop.vn"}).sender == "bot@ocop.vn"  # type: ignore[union-attr]
