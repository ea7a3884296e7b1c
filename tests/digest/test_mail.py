"""Email delivery through the outbox, against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from helpers import paths
from helpers.smtp import Recorder, free_port

from paperradar.digest import mail
from paperradar.digest.mail import (
    DeliveryReport,
    SmtpSettings,
    deliver_pending,
    queue_email,
    smtp_settings,
)
from paperradar.errors import ConfigError, UsageError
from paperradar.store import Store

SENDER = "Paper Radar <radar@example.org>"
TEXT = "Today: 3 papers — café-grade results.\nhttps://arxiv.org/abs/2503.11731\n"
HTML = "<h1>Today</h1><p>3 papers — café-grade results.</p>"


@dataclass
class Server:
    handler: Recorder
    port: int

    def settings(self, **changes: Any) -> SmtpSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "sender": SENDER,
            "timeout": 2.0,
        }
        return SmtpSettings(**{**values, **changes})


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., Server]]:
    """Start aiosmtpd servers on free ports; every one is stopped after the test."""
    started: list[Controller] = []

    def start(handler: Recorder | None = None, **kwargs: Any) -> Server:
        handler = handler or Recorder()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return Server(handler, port)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path) as opened:
        yield opened


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(mail.PASSWORD_ENV, raising=False)
    for key in ("host", "port", "user", "password", "security", "from", "timeout", "cafile"):
        monkeypatch.delenv(f"PAPERRADAR_EMAIL_{key.upper()}", raising=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (cert.pem, key.pem)."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ),
            *("-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def make_digest(store: Store) -> int:
    with store.transaction():
        store.conn.execute("INSERT INTO profiles (name, created) VALUES ('me', '2026-07-01')")
        cursor = store.conn.execute(
            "INSERT INTO digests (profile_id, created, window_start, window_end, candidates) "
            "VALUES (1, '2026-07-01', '2026-07-01', '2026-07-01', 10)"
        )
    return int(cursor.lastrowid or 0)


def queue(store: Store, recipient: str = "Ada Lovelace <ada@example.org>", **kw: Any) -> int:
    values: dict[str, Any] = {"subject": "Your radar — 1 July", "html": HTML, "text": TEXT}
    return queue_email(store, recipient=recipient, sender=SENDER, **{**values, **kw})


def row(store: Store, row_id: int) -> dict[str, Any]:
    return dict(store.conn.execute("SELECT * FROM outbox WHERE id = ?", (row_id,)).fetchall()[0])


def stored_message_id(store: Store, row_id: int) -> str:
    return str(row(store, row_id)["message_id"])


# -- delivery -------------------------------------------------------------------------------


def test_delivers_once_with_both_parts_and_headers(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server()
    row_id = queue(store)
    report = deliver_pending(store, server.settings())
    assert report == DeliveryReport(sent=1, failed=0, pending=0, errors=[])

    assert len(server.handler.messages) == 1
    msg = server.handler.messages[0]
    assert server.handler.envelopes == [("radar@example.org", ["ada@example.org"])]
    assert msg["From"] == SENDER
    assert msg["To"] == "Ada Lovelace <ada@example.org>"
    assert msg["Subject"] == "Your radar — 1 July"
    assert msg["Message-ID"] == stored_message_id(store, row_id)
    assert msg["Message-ID"].endswith("@example.org>")
    assert msg["Date"].datetime is not None
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    bodies = [p.get_content().replace("\r\n", "\n") for p in parts]  # the wire has CRLF
    assert bodies == [TEXT, HTML + "\n"]
    assert server.handler.raw[0].isascii()  # 7-bit clean: any relay takes it
    assert server.handler.raw[0] == bytes(row(store, row_id)["message"])  # stored bytes = sent

    stored = row(store, row_id)
    assert (stored["status"], stored["attempts"], stored["last_error"]) == ("sent", 1, None)
    assert stored["sent"] is not None

    again = deliver_pending(store, server.settings())
    assert again == DeliveryReport(sent=0, failed=0, pending=0, errors=[])
    assert len(server.handler.messages) == 1


def test_temporary_refusal_keeps_the_row_then_sends_it_exactly_once(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server(Recorder(data_reply="451 try later"))
    row_id = queue(store)
    report = deliver_pending(store, server.settings())
    assert (report.sent, report.failed, report.pending) == (0, 0, 1)
    assert "451 try later" in report.errors[0]
    stored = row(store, row_id)
    assert (stored["status"], stored["attempts"]) == ("pending", 1)
    assert "451 try later" in stored["last_error"]
    assert server.handler.messages == []

    working = smtp_server()
    report = deliver_pending(store, working.settings())
    assert (report.sent, report.pending) == (1, 0)
    assert deliver_pending(store, working.settings()).sent == 0
    assert len(working.handler.messages) == 1
    assert working.handler.messages[0]["Message-ID"] == stored_message_id(store, row_id)
    assert (row(store, row_id)["status"], row(store, row_id)["attempts"]) == ("sent", 2)


@pytest.mark.serial  # a 0.3 s timeout against a 0.8 s reply: no load beside it
def test_a_reply_lost_to_a_timeout_is_retried_with_the_same_message_id(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    class SlowRecorder(Recorder):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            reply = await super().handle_DATA(server, session, envelope)  # has it...
            if len(self.messages) == 1:
                await asyncio.sleep(0.8)  # ...but answers after the client gave up
            return reply

    server = smtp_server(SlowRecorder())
    row_id = queue(store)
    report = deliver_pending(store, server.settings(timeout=0.3))
    assert (report.sent, report.pending) == (0, 1)
    assert "timed out" in row(store, row_id)["last_error"]
    assert len(server.handler.messages) == 1  # the server has it although we could not know

    assert deliver_pending(store, server.settings(timeout=2)).sent == 1
    assert len(server.handler.messages) == 2
    assert {m["Message-ID"] for m in server.handler.messages} == {stored_message_id(store, row_id)}


def test_gives_up_after_max_attempts(store: Store, smtp_server: Callable[..., Server]) -> None:
    server = smtp_server(Recorder(data_reply="451 try later"))
    row_id = queue(store)
    assert deliver_pending(store, server.settings(), max_attempts=2).pending == 1
    report = deliver_pending(store, server.settings(), max_attempts=2)
    assert (report.failed, report.pending) == (1, 0)
    assert (row(store, row_id)["status"], row(store, row_id)["attempts"]) == ("failed", 2)


def test_server_down_leaves_everything_pending(store: Store) -> None:
    first, second = queue(store), queue(store, "bob@example.org")
    before = row(store, first)["message"]
    settings = SmtpSettings("127.0.0.1", free_port(), security="none", sender=SENDER, timeout=2)
    report = deliver_pending(store, settings)
    assert (report.sent, report.failed, report.pending) == (0, 0, 2)
    assert "cannot use SMTP server 127.0.0.1" in report.errors[0]
    for row_id in (first, second):
        stored = row(store, row_id)
        assert stored["status"] == "pending"
        assert stored["attempts"] == 0  # an unreachable server is no attempt at a message
        assert "cannot use SMTP server" in stored["last_error"]
    assert row(store, first)["message"] == before


def test_permanent_recipient_refusal_fails_at_once(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server(Recorder(rcpt_reply="550 5.1.1 no such user"))
    row_id = queue(store)
    report = deliver_pending(store, server.settings())
    assert (report.sent, report.failed, report.pending) == (0, 1, 0)
    stored = row(store, row_id)
    assert (stored["status"], stored["attempts"]) == ("failed", 1)
    assert "550 5.1.1 no such user" in stored["last_error"]
    assert deliver_pending(store, server.settings()) == DeliveryReport()


def test_permanent_refusal_of_one_message_does_not_stop_the_others(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    class PickyRecorder(Recorder):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            if address.startswith("nobody"):
                return "550 5.1.1 no such user"
            return await super().handle_RCPT(server, session, envelope, address, options)

    server = smtp_server(PickyRecorder())
    queue(store, "nobody@example.org")
    queue(store, "bob@example.org")
    report = deliver_pending(store, server.settings())
    assert (report.sent, report.failed) == (1, 1)
    assert [m["To"] for m in server.handler.messages] == ["bob@example.org"]


def test_refused_sender_stops_the_run_and_loses_nothing(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    class NoSender(Recorder):
        async def handle_MAIL(
            self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            return "553 5.7.1 sender not allowed"

    server = smtp_server(NoSender())
    first, second = queue(store), queue(store, "bob@example.org")
    report = deliver_pending(store, server.settings())
    assert (report.sent, report.failed, report.pending) == (0, 0, 2)
    assert "refused the sender: 553 5.7.1 sender not allowed" in report.errors[0]
    assert [row(store, i)["attempts"] for i in (first, second)] == [1, 0]
    assert all("553" in row(store, i)["last_error"] for i in (first, second))
    assert {row(store, i)["status"] for i in (first, second)} == {"pending"}


def test_bad_sender_in_settings_is_reported_before_anything_is_claimed(store: Store) -> None:
    row_id = queue(store)
    settings = SmtpSettings("127.0.0.1", free_port(), security="none", sender="nobody")
    with pytest.raises(ConfigError, match=r"^email\.from is not a valid email address"):
        deliver_pending(store, settings)
    assert (row(store, row_id)["status"], row(store, row_id)["attempts"]) == ("pending", 0)


class Crash(BaseException):
    """Stands for the process dying: nothing in paperradar catches it."""


def test_crash_after_the_server_accepted_resends_with_the_same_message_id(
    store: Store, smtp_server: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server()
    row_id = queue(store)

    def crash(store: Store, row_id: int) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(mail, "_mark_sent", crash)
        with pytest.raises(Crash):
            deliver_pending(store, server.settings())
    assert row(store, row_id)["status"] == "sending"  # ambiguous: the server has it
    assert len(server.handler.messages) == 1

    report = deliver_pending(store, server.settings())
    assert (report.sent, report.pending) == (1, 0)
    assert len(server.handler.messages) == 2
    ids = {m["Message-ID"] for m in server.handler.messages}
    assert ids == {stored_message_id(store, row_id)}
    assert server.handler.raw[0] == server.handler.raw[1]
    stored = row(store, row_id)
    assert (stored["status"], stored["attempts"]) == ("sent", 2)
    assert "interrupted" in stored["last_error"]
    assert deliver_pending(store, server.settings()).sent == 0


def test_crash_right_after_the_claim_is_retried_with_the_same_message_id(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server()
    row_id = queue(store)
    assert mail._claim(store, row_id, "pending") == 1  # claimed, committed, then "died"
    assert row(store, row_id)["status"] == "sending"

    assert deliver_pending(store, server.settings()).sent == 1
    assert [m["Message-ID"] for m in server.handler.messages] == [stored_message_id(store, row_id)]
    assert (row(store, row_id)["status"], row(store, row_id)["attempts"]) == ("sent", 2)


def test_a_claim_of_a_row_whose_status_changed_is_refused(store: Store) -> None:
    row_id = queue(store)
    assert mail._claim(store, row_id, "pending") == 1
    assert mail._claim(store, row_id, "pending") is None  # it is "sending" now
    assert (row(store, row_id)["status"], row(store, row_id)["attempts"]) == ("sending", 1)
    assert row(store, row_id)["last_error"] is None


def test_racing_claims_of_one_row_let_exactly_one_win(store: Store) -> None:
    row_id = queue(store)
    racers = 6
    barrier = threading.Barrier(racers)
    won: list[int | None] = []

    def claim() -> None:
        barrier.wait()
        won.append(mail._claim(store, row_id, "pending"))

    threads = [threading.Thread(target=claim) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won, key=str) == [1] + [None] * (racers - 1)
    assert (row(store, row_id)["status"], row(store, row_id)["attempts"]) == ("sending", 1)


def test_interrupted_row_out_of_attempts_is_failed_not_resent(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server()
    row_id = queue(store)
    mail._claim(store, row_id, "pending")
    report = deliver_pending(store, server.settings(), max_attempts=1)
    assert (report.sent, report.failed) == (0, 1)
    assert server.handler.messages == []
    assert row(store, row_id)["status"] == "failed"


def test_a_running_delivery_holds_the_lock(
    store: Store, smtp_server: Callable[..., Server]
) -> None:
    server = smtp_server()
    row_id = queue(store)
    mail._claim(store, row_id, "pending")  # in flight in the other run
    with store.lock(mail.OUTBOX_LOCK) as locked:
        assert locked
        report = deliver_pending(store, server.settings())
    assert report.sent == 0 and "another delivery" in report.errors[0]
    assert server.handler.messages == []
    assert row(store, row_id)["status"] == "sending"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login_with_the_password_from_the_environment(
    security: str,
    store: Store,
    tmp_path: Path,
    smtp_server: Callable[..., Server],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    handler = Recorder()
    tls: dict[str, Any] = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}  # aiosmtpd only knows STARTTLS
    )
    server = smtp_server(handler, authenticator=handler.authenticate, **tls)
    (tmp_path / "config.toml").write_text(
        f'[email]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "{security}"\n'
        f'from = "{SENDER}"\nuser = "radar"\npassword = "from-file"\ntimeout = 2\n'
        f'cafile = "{certificate[0]}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(mail.PASSWORD_ENV, "from-env")
    queue(store)
    report = deliver_pending(store, smtp_settings(tmp_path))
    assert report.sent == 1, report.errors
    assert handler.logins == [(b"radar", b"from-env")]


def test_untrusted_certificate_is_a_server_problem(
    store: Store, smtp_server: Callable[..., Server], certificate: tuple[Path, Path]
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    server = smtp_server(tls_context=context)
    row_id = queue(store)
    report = deliver_pending(store, server.settings(security="starttls"))
    assert report.sent == 0 and "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
    assert (row(store, row_id)["status"], row(store, row_id)["attempts"]) == ("pending", 0)


# -- queueing -------------------------------------------------------------------------------


def test_same_digest_and_recipient_is_queued_once_unless_it_failed(store: Store) -> None:
    digest = make_digest(store)
    first = queue(store, digest_id=digest)
    assert queue(store, "ADA@Example.org", digest_id=digest) == first
    other = queue(store, "bob@example.org", digest_id=digest)
    assert other != first
    assert store.conn.execute("SELECT count(*) FROM outbox").fetchall()[0][0] == 2

    with store.transaction():
        store.conn.execute("UPDATE outbox SET status = 'sent' WHERE id = ?", (first,))
    assert queue(store, digest_id=digest) == first  # sent: still the same email
    with store.transaction():
        store.conn.execute("UPDATE outbox SET status = 'failed' WHERE id = ?", (first,))
    again = queue(store, digest_id=digest)
    assert again not in (first, other)
    assert stored_message_id(store, again) != stored_message_id(store, first)


def test_without_a_digest_every_call_queues_a_new_email(store: Store) -> None:
    first, second = queue(store), queue(store)
    assert first != second
    assert stored_message_id(store, first) != stored_message_id(store, second)


def test_unknown_digest_is_a_usage_error(store: Store) -> None:
    with pytest.raises(UsageError, match="no digest with id 99"):
        queue(store, digest_id=99)


@pytest.mark.parametrize(
    "recipient",
    ["", "ada", "ada@", "@example.org", "ada@example", "a@b@example.org",
     "ada@example.org, bob@example.org", "ada@example.org\nBcc: eve@example.org",
     "ada lovelace@example.org"],
)  # fmt: skip
def test_bad_recipient_is_a_one_line_usage_error(store: Store, recipient: str) -> None:
    with pytest.raises(UsageError) as caught:
        queue(store, recipient)
    assert "\n" not in str(caught.value).replace("\\n", "")
    assert str(caught.value).startswith("recipient is not a valid email address")
    assert store.conn.execute("SELECT count(*) FROM outbox").fetchall()[0][0] == 0


def test_subject_is_one_line(store: Store) -> None:
    row_id = queue(store, subject="Your radar\r\nBcc: eve@example.org")
    assert row(store, row_id)["subject"] == "Your radar Bcc: eve@example.org"
    with pytest.raises(UsageError, match="subject"):
        queue(store, subject=" \n ")


def test_sender_defaults_to_the_config(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^email\.from is not set"):
        queue_email(store, recipient="ada@example.org", subject="s", html=HTML, text=TEXT)
    (tmp_path / "config.toml").write_text('[email]\nfrom = "me@uni.example"\n', "utf-8")
    row_id = queue_email(store, recipient="ada@example.org", subject="s", html=HTML, text=TEXT)
    assert stored_message_id(store, row_id).endswith("@uni.example>")
    assert b"From: me@uni.example" in bytes(row(store, row_id)["message"])


# -- settings -------------------------------------------------------------------------------


def write_config(home: Path, body: str) -> None:
    (home / "config.toml").write_text("[email]\n" + body, encoding="utf-8")


def test_settings_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, 'host = "smtp.example.org"\nfrom = "me@example.org"\n')
    settings = smtp_settings(tmp_path)
    assert (settings.host, settings.port, settings.security) == (
        "smtp.example.org",
        587,
        "starttls",
    )
    assert (settings.user, settings.password, settings.sender) == (None, None, "me@example.org")
    assert settings.timeout == 30.0


def test_settings_ssl_port_and_string_values(tmp_path: Path) -> None:
    write_config(tmp_path, 'host = "h.example.org"\nfrom = "me@example.org"\nsecurity = "ssl"\n')
    assert smtp_settings(tmp_path).port == 465
    write_config(tmp_path, 'host = "h.example.org"\nfrom = "me@example.org"\nport = "2525"\n')
    assert smtp_settings(tmp_path).port == 2525


def test_password_from_env_wins_and_is_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        tmp_path,
        'host = "smtp.example.org"\nfrom = "me@example.org"\nuser = "me"\npassword = "file"\n',
    )
    assert smtp_settings(tmp_path).password == "file"
    monkeypatch.setenv(mail.PASSWORD_ENV, "env-secret")
    settings = smtp_settings(tmp_path)
    assert settings.password == "env-secret"
    assert "env-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('from = "me@example.org"\n', "email.host"),
        ('host = "smtp.example.org"\n', "email.from"),
        ('host = "h.example.org"\nfrom = "me"\n', "email.from"),
        ('host = "h.example.org"\nfrom = "me@example.org"\nport = "abc"\n', "email.port"),
        ('host = "h.example.org"\nfrom = "me@example.org"\nport = 70000\n', "email.port"),
        ('host = "h.example.org"\nfrom = "me@example.org"\nport = true\n', "email.port"),
        ('host = "h.example.org"\nfrom = "me@example.org"\nsecurity = "tls"\n', "email.security"),
        ('host = "h.example.org"\nfrom = "me@example.org"\ntimeout = 0\n', "email.timeout"),
        ('host = "h.example.org"\nfrom = "me@example.org"\ntimeout = "x"\n', "email.timeout"),
        ('host = 5\nfrom = "me@example.org"\n', "email.host"),
        ('host = "h.example.org"\nfrom = "me@example.org"\nuser = "me"\n', "email.password"),
        (
            'host = "h.example.org"\nfrom = "me@example.org"\nuser = "me"\npassword = "p"\n'
            'security = "none"\n',
            "email.security",
        ),
        ('host = "h.example.org"\nfrom = "me@example.org"\ncafile = "/nope.pem"\n', "email.cafile"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, body: str, key: str) -> None:
    write_config(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        smtp_settings(tmp_path)
    message = str(caught.value)
    assert message.startswith(key + " ")
    assert "\n" not in message


def test_environment_overrides_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, 'host = "smtp.example.org"\nfrom = "me@example.org"\n')
    monkeypatch.setenv("PAPERRADAR_EMAIL_PORT", "abc")
    with pytest.raises(ConfigError, match=r"^email\.port must be an integer, not 'abc'$"):
        smtp_settings(tmp_path)


def test_cli_digest_email_end_to_end(
    tmp_path: Path, smtp_server: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`paperradar digest --email` through a real SMTP server: sent once, both parts; a
    down server exits 1 and keeps the mail for `paperradar deliver`."""
    from helpers.cli import run_cli

    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    fixtures = paths.FIXTURES / "radar"
    home = tmp_path / "home"
    server = smtp_server()
    write_config(
        _mkdir(home),
        f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\nfrom = "{SENDER}"\n'
        "timeout = 2\n",
    )
    assert run_cli(home, "ingest", "-q", fixtures / "listings.jsonl").code == 0
    assert run_cli(home, "profile", "create", "ada").code == 0
    assert run_cli(home, "profile", "add", "ada", fixtures / "own.bib").code == 0
    bad = run_cli(home, "digest", "--day", "2026-07-01", "--email", "not an address")
    assert bad.code == 2 and "not a valid email address" in bad.stderr
    with Store.open(home) as store:  # nothing recorded for a digest nobody got
        assert store.conn.execute("SELECT count(*) AS n FROM digests").fetchall()[0]["n"] == 0
    done = run_cli(home, "digest", "--day", "2026-07-01", "--top", "5", "--email", "a@x.org")
    assert done.code == 0, done.stderr
    assert "email to a@x.org: sent" in done.stderr
    [message] = server.handler.messages
    assert message["To"] == "a@x.org" and "ada" in message["Subject"]
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    # the same window again: the digest keeps its id, so the email is not sent twice
    again = run_cli(home, "digest", "--day", "2026-07-01", "--top", "5", "--email", "a@x.org")
    assert again.code == 0 and len(server.handler.messages) == 1
    # a server that is down: exit 1, the mail waits; `deliver` sends it once the server is up
    write_config(
        home,
        f'host = "127.0.0.1"\nport = {free_port()}\nfrom = "{SENDER}"\n'
        'security = "none"\ntimeout = 2\n',
    )
    down = run_cli(home, "digest", "--day", "2026-07-02", "--top", "5", "--email", "a@x.org")
    assert down.code == 1 and "not emailed" in down.stderr
    write_config(
        home,
        f'host = "127.0.0.1"\nport = {server.port}\nfrom = "{SENDER}"\n'
        'security = "none"\ntimeout = 2\n',
    )
    retry = run_cli(home, "deliver")
    assert retry.code == 0 and "1 sent" in retry.stdout
    assert len(server.handler.messages) == 2
    assert run_cli(home, "deliver").stdout.strip() == "nothing to send"


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
