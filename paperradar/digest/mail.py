"""Email delivery of digests through an outbox in the store.

``queue_email`` builds the whole MIME message once (with its Message-ID) and stores it as a
``pending`` row of the ``outbox`` table; ``deliver_pending`` sends the stored bytes over SMTP.
A row moves ``pending → sending → sent``; a failure puts it back to ``pending`` (or to
``failed`` when it is permanent, or after ``max_attempts``). Every step is committed before
the next one starts, so no message is ever lost.

The guarantee, honestly: a message is sent **at least once and, unless paperradar dies in
one narrow window, exactly once**. The window is between the server's "250 accepted" reply
and the commit that marks the row ``sent``: a crash (or a dropped connection while the
server is answering ``DATA``) there leaves the row ``sending``, and nobody can know whether
the server has the message. Such a row is *resent*, with the very same bytes and therefore
the same Message-ID, so mail systems that deduplicate by Message-ID (Gmail does; Sieve's
``duplicate`` test and ``formail -D`` can) show it once; others show it twice. A ``sent``
row is never sent again. Only one ``deliver_pending`` runs at a time per store (the store's
``outbox`` lock), so a ``sending`` row found by a run is always an interrupted one.

Ctrl-C (``KeyboardInterrupt``) is not a crash: the run knows how far the message in flight
got, settles its row, then lets the interrupt go on. Before the end of ``DATA`` went out, the
connection is dropped without another word, so the server discards the incomplete message,
and the row goes back to ``pending``. Once the end of ``DATA`` went out, the server may have
the message: the run waits up to ``ANSWER_GRACE`` seconds (or ``email.timeout``, if shorter)
for its answer (a 250 marks the row ``sent``, a refusal puts it back or fails it) and, with no
answer, marks it ``sent`` with a note rather than risk sending it twice. An interrupted run
never sends a message twice; a kill (SIGKILL, a power cut) still may, as above.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from paperradar.config import Config, load_config
from paperradar.errors import ConfigError, UsageError
from paperradar.models import Digest
from paperradar.store.api import Store

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

Security = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[Security, ...] = ("starttls", "ssl", "none")
PASSWORD_ENV = "PAPERRADAR_SMTP_PASSWORD"
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_TIMEOUT = 30.0
#: the store-wide lock one delivery holds, so two processes never send the same outbox
OUTBOX_LOCK = "outbox"
#: seconds an interrupted delivery waits for the server's answer to a message it sent whole
ANSWER_GRACE = 5.0

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """How to reach the SMTP server (``[email]`` in config.toml; see docs/config.md)."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: Security = "starttls"
    sender: str = ""  # the From address, "Name <addr@host>" or "addr@host"
    timeout: float = DEFAULT_TIMEOUT  # seconds, for connecting and for each reply
    cafile: Path | None = None  # CA certificates to trust instead of the system's


@dataclass(slots=True)
class DeliveryReport:
    """What one ``deliver_pending`` run did; ``pending`` counts rows still waiting after it."""

    sent: int = 0
    failed: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)


# -- settings -----------------------------------------------------------------------------


def smtp_settings(home: Path) -> SmtpSettings:
    """The ``[email]`` settings of the home's config.toml, checked.

    Each key may also come from ``PAPERRADAR_EMAIL_<KEY>`` (as for every setting); the
    password comes first from ``$PAPERRADAR_SMTP_PASSWORD``. Raises ``ConfigError`` naming
    the key for a missing ``host`` or ``from`` or any bad value.
    """
    return settings_from_config(load_config(home))


def settings_from_config(cfg: Config) -> SmtpSettings:
    """``SmtpSettings`` from an already loaded ``Config`` (see ``smtp_settings``)."""
    host = _text(cfg, "host")
    if not host:
        raise ConfigError('email.host is not set: add host = "smtp.example.org" under [email]')
    sender = _text(cfg, "from")
    if not sender:
        raise ConfigError('email.from is not set: add from = "you@example.org" under [email]')
    _parse_address(sender, "email.from", ConfigError)
    security = _text(cfg, "security") or "starttls"
    if security not in SECURITY_MODES:
        raise ConfigError(f"email.security must be starttls, ssl or none, not {security!r}")
    mode: Security = security
    port = _integer(cfg, "port", DEFAULT_PORTS[mode])
    if not 0 < port < 65536:
        raise ConfigError(f"email.port must be between 1 and 65535, not {port}")
    timeout = _seconds(cfg, "timeout", DEFAULT_TIMEOUT)
    user = _text(cfg, "user") or None
    password = os.environ.get(PASSWORD_ENV) or _text(cfg, "password") or None
    if user and password is None:
        raise ConfigError(f"email.password is not set: put it in ${PASSWORD_ENV}")
    if user and mode == "none" and host.lower() not in _LOOPBACK:
        raise ConfigError(
            "email.security is none: the password would cross the network in clear text; "
            "use starttls or ssl"
        )
    cafile = _text(cfg, "cafile")
    if cafile and not Path(cafile).expanduser().is_file():
        raise ConfigError(f"email.cafile is not a file: {cafile}")
    return SmtpSettings(
        host=host,
        port=port,
        user=user,
        password=password,
        security=mode,
        sender=sender,
        timeout=timeout,
        cafile=Path(cafile).expanduser() if cafile else None,
    )


def _text(cfg: Config, key: str) -> str:
    value = cfg.get("email", key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"email.{key} must be a string, not {value!r}")
    return value.strip()


def _integer(cfg: Config, key: str, default: int) -> int:
    value: Any = cfg.get("email", key)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ConfigError(f"email.{key} must be an integer, not {value!r}")


def _seconds(cfg: Config, key: str, default: float) -> float:
    value: Any = cfg.get("email", key)
    if value is None:
        return default
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(value)
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"email.{key} must be a number of seconds, not {value!r}") from None
    if not 0 < seconds < float("inf"):
        raise ConfigError(f"email.{key} must be a positive number of seconds, not {value!r}")
    return seconds


def _parse_address(
    value: str, what: str, error: type[ConfigError] | type[UsageError]
) -> tuple[str, str]:
    """``(display name, addr-spec)`` of one address, the domain lower-cased."""
    parsed = getaddresses([value]) if "\r" not in value and "\n" not in value else []
    if len(parsed) == 1 and _ADDR_SPEC.fullmatch(parsed[0][1]):
        name, addr = parsed[0]
        local, _, domain = addr.rpartition("@")
        return name, f"{local}@{domain.lower()}"
    raise error(f"{what} is not a valid email address: {value!r}")


def check_address(value: str) -> str:
    """The address, normalised; a one-line UsageError when it is not a valid one."""
    return _parse_address(value, "recipient", UsageError)[1]


# -- queueing -----------------------------------------------------------------------------


def queue_email(
    store: Store,
    *,
    recipient: str,
    subject: str,
    html: str,
    text: str,
    digest_id: int | None = None,
    sender: str | None = None,
) -> int:
    """Build the message and store it in the outbox as ``pending``; return its row id.

    The message is multipart/alternative (text/plain, then text/html; UTF-8, quoted-printable,
    so it is 7-bit clean) with Date, From, To, Subject and a Message-ID made here, once: the
    bytes stored are the bytes sent, on every attempt. ``sender`` defaults to ``[email] from``
    of the store's home. With a ``digest_id``, queueing the same digest for the same recipient
    again returns the existing row (whatever its subject or body) unless that row ``failed``.
    """
    to_name, addr = _parse_address(recipient, "recipient", UsageError)
    if sender is None:
        sender = _text(load_config(store.home), "from")
        if not sender:
            raise ConfigError('email.from is not set: add from = "you@example.org" under [email]')
        from_name, from_addr = _parse_address(sender, "email.from", ConfigError)
    else:
        from_name, from_addr = _parse_address(sender, "sender", UsageError)
    subject = " ".join(subject.split())
    if not subject:
        raise UsageError("an email needs a subject")
    if not text.strip() or not html.strip():
        raise UsageError("an email needs both a text and an HTML body")
    with store.transaction():
        if digest_id is not None:
            if not store.delivery.digest_exists(digest_id):
                raise UsageError(f"no digest with id {digest_id} in the store")
            existing = store.delivery.queued_email(digest_id, addr)
            if existing is not None:
                return existing
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        message_id = make_msgid(domain=from_addr.rpartition("@")[2])
        message = _build_message(
            sender=Address(from_name, addr_spec=from_addr),
            recipient=Address(to_name, addr_spec=addr),
            subject=subject,
            html=html,
            text=text,
            date=now,
            message_id=message_id,
        )
        return store.delivery.add_email(
            digest_id=digest_id,
            recipient=addr,
            subject=subject,
            message_id=message_id,
            message=message,
            created=now,
        )


def _build_message(
    *,
    sender: Address,
    recipient: Address,
    subject: str,
    html: str,
    text: str,
    date: dt.datetime,
    message_id: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"  # no vacation replies to a digest
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes(policy=SMTP_POLICY)


# -- delivery -----------------------------------------------------------------------------


class _ServerProblem(Exception):
    """The server cannot take any message now (unreachable, TLS, login, sender refused)."""


def deliver_pending(
    store: Store, settings: SmtpSettings, *, max_attempts: int = 5
) -> DeliveryReport:
    """Send every ``pending`` row (and every ``sending`` row an interrupted run left).

    Each row is claimed (``sending``, ``attempts + 1``, committed), its stored bytes sent,
    then marked ``sent`` with the time. A temporary failure (a 4xx reply, a timeout or a
    dropped connection) puts it back to ``pending`` with ``last_error``, or ``failed`` once
    it has had ``max_attempts``; a 5xx refusal of the recipient or of the message marks it
    ``failed`` at once. A server that cannot be reached, or refuses TLS, the login or the
    sender, stops the run: the rows not yet tried keep their status and attempt count and get
    the error. A ``sending`` row is resent with the same Message-ID (see the module
    docstring), or marked ``failed`` if it has used up its attempts. If another run holds the
    store's outbox lock, nothing is sent and the report says so.
    """
    if max_attempts < 1:
        raise UsageError(f"max_attempts must be at least 1, not {max_attempts}")
    envelope_sender = _parse_address(settings.sender, "email.from", ConfigError)[1]
    report = DeliveryReport()
    with store.lock(OUTBOX_LOCK) as locked:
        if not locked:
            report.errors.append("another delivery is running for this store; nothing sent")
        else:
            _deliver(store, settings, envelope_sender, max_attempts, report)
    report.pending = store.delivery.waiting_count()
    return report


def _deliver(
    store: Store, settings: SmtpSettings, sender: str, max_attempts: int, report: DeliveryReport
) -> None:
    rows = store.delivery.unsent()
    conn: _Smtp | None = None
    try:
        for index, row in enumerate(rows):
            row_id, recipient, status = row.id, row.recipient, row.status
            label = f"outbox #{row_id} to {recipient}"
            if status == "sending" and row.attempts >= max_attempts:
                _finish(store, row_id, "sending", "failed", _INTERRUPTED)
                report.failed += 1
                report.errors.append(f"{label}: {_INTERRUPTED}")
                continue
            try:
                conn = conn or _connect(settings)
            except _ServerProblem as exc:
                _note_untried(store, [r.id for r in rows[index:]], str(exc))
                report.errors.append(f"{exc}; {len(rows) - index} message(s) left for later")
                return
            conn.stage = "before"
            try:
                attempt = _claim(store, row_id, status)
                if attempt is None:  # someone changed the row since we read it
                    continue
                message = store.delivery.message(row_id)
                try:
                    conn.sendmail(sender, [recipient], message)
                except smtplib.SMTPSenderRefused as exc:
                    _finish(store, row_id, "sending", "pending", _describe(exc))
                    _note_untried(store, [r.id for r in rows[index + 1 :]], _describe(exc))
                    report.errors.append(
                        f"{label}: the server refused the sender: {_describe(exc)}"
                    )
                    return
                except (smtplib.SMTPException, OSError) as exc:
                    permanent = _is_permanent(exc)
                    if not permanent:  # the connection may be in any state: start afresh
                        _close(conn)
                        conn = None
                    gives_up = permanent or attempt >= max_attempts
                    _finish(
                        store,
                        row_id,
                        "sending",
                        "failed" if gives_up else "pending",
                        _describe(exc),
                    )
                    if gives_up:
                        report.failed += 1
                    outcome = (
                        "failed" if gives_up else f"will retry (attempt {attempt}/{max_attempts})"
                    )
                    report.errors.append(f"{label}: {_describe(exc)}; {outcome}")
                    continue
                _mark_sent(store, row_id)
                report.sent += 1
            except KeyboardInterrupt:
                if conn is not None:
                    _settle_interrupted(store, conn, row_id)
                    conn = None  # closed, without QUIT
                raise
    finally:
        _close(conn)


def _settle_interrupted(store: Store, conn: _Smtp, row_id: int) -> None:
    """Ctrl-C while row ``row_id`` was claimed: record what the server has, so that the next
    run neither loses nor repeats it (see the module docstring)."""
    stage, code = conn.stage, conn.answer
    if stage == "ended":  # the whole message went out: the server may be taking it
        code = _late_answer(conn)
    conn.close()  # no QUIT: inside DATA it would be taken for part of the message
    if stage in ("before", "body"):
        _finish(store, row_id, "sending", "pending", _CUT_SHORT)
    elif code is None:
        _mark_sent(store, row_id, _UNANSWERED)
    elif code == 250:
        _mark_sent(store, row_id)
    else:
        status = "failed" if 500 <= code < 600 else "pending"
        _finish(store, row_id, "sending", status, f"{code} (interrupted while sending)")


def _late_answer(conn: _Smtp) -> int | None:
    """The server's reply to the end of DATA, waited for ``ANSWER_GRACE`` seconds at most, or
    ``email.timeout`` if shorter (a second Ctrl-C stops waiting); None without one."""
    try:
        if conn.sock is not None:
            conn.sock.settimeout(min(ANSWER_GRACE, conn.timeout))
        return conn.getreply()[0]
    except (KeyboardInterrupt, smtplib.SMTPException, OSError):
        return None


_RESENT = "an earlier attempt was interrupted while sending; resent with the same Message-ID"
_CUT_SHORT = "interrupted before the message was complete: the server dropped it; not sent yet"
_UNANSWERED = (
    "interrupted while the server was answering: it most likely has the message; "
    "not sent again, so as not to send it twice"
)
_DOTS = re.compile(rb"^\.", re.MULTILINE)


class _Smtp(smtplib.SMTP):
    """``smtplib.SMTP`` that notes how far the message in flight got, in ``stage``: before
    ``DATA``'s body, in the body, ``ended`` (the final dot went out: the server may have the
    message), ``answered`` (its reply code is in ``answer``)."""

    stage: Literal["before", "body", "ended", "answered"] = "before"
    answer: int | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        """``smtplib.SMTP.data`` for bytes that already end lines with CRLF, sending the
        final dot on its own after the body so that ``stage`` can tell the two apart."""
        self.stage, self.answer = "before", None
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = _DOTS.sub(b"..", msg.encode("ascii") if isinstance(msg, str) else bytes(msg))
        self.stage = "body"
        self.send(body if body.endswith(b"\r\n") else body + b"\r\n")
        self.stage = "ended"
        self.send(b".\r\n")
        code, reply = self.getreply()
        self.stage, self.answer = "answered", code
        return code, reply


class _SmtpSsl(_Smtp, smtplib.SMTP_SSL):
    """``_Smtp`` over TLS from the first byte."""


_INTERRUPTED = "interrupted while sending, out of attempts: the server may or may not have it"


def _connect(settings: SmtpSettings) -> _Smtp:
    """An open, secured and logged-in connection, or ``_ServerProblem``."""
    where = f"SMTP server {settings.host}:{settings.port}"
    conn: _Smtp | None = None
    try:
        context = ssl.create_default_context(
            cafile=str(settings.cafile) if settings.cafile else None
        )
        if settings.security == "ssl":
            conn = _SmtpSsl(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            conn = _Smtp(settings.host, settings.port, timeout=settings.timeout)
        conn.ehlo()
        if settings.security == "starttls":
            if not conn.has_extn("starttls"):
                raise _ServerProblem(f"{where} does not offer STARTTLS (email.security)")
            conn.starttls(context=context)
            conn.ehlo()
        if settings.user:
            conn.login(settings.user, settings.password or "")
        return conn
    except _ServerProblem:
        _close(conn)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        _close(conn)
        raise _ServerProblem(
            f"{where} refused the login of {settings.user}: {_describe(exc)}"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        _close(conn)
        raise _ServerProblem(f"cannot use {where}: {_describe(exc)}") from exc


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    with contextlib.suppress(smtplib.SMTPException, OSError):
        conn.quit()
    conn.close()


def _is_permanent(exc: BaseException) -> bool:
    """A 5xx refusal of the recipient or of the message: sending it again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_decode(msg)}" for code, msg in exc.recipients.values()]
        return "; ".join(parts) or "recipient refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _decode(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split())


# -- row state ----------------------------------------------------------------------------


def _claim(store: Store, row_id: int, status: str) -> int | None:
    """Mark a row ``sending`` and count the attempt (committed); its attempt number.

    Claiming a row an interrupted run left ``sending`` notes that in ``last_error``: the
    message is about to go out again, with the same Message-ID."""
    return store.delivery.claim_email(row_id, status, _RESENT)


def _mark_sent(store: Store, row_id: int, note: str | None = None) -> None:
    store.delivery.mark_sent(row_id, dt.datetime.now(dt.UTC), note)


def _finish(store: Store, row_id: int, was: str, status: str, error: str) -> None:
    store.delivery.finish_email(row_id, was, status, error)


def _note_untried(store: Store, row_ids: list[int], error: str) -> None:
    """Record why pending rows were not tried, without counting an attempt."""
    store.delivery.note_untried(row_ids, error)


# -- a digest, end to end -----------------------------------------------------------------


@dataclass(slots=True)
class DigestMail:
    """What became of one digest's email: its outbox status and the delivery's problems."""

    status: str  # sent, pending, failed, or "empty" (nothing to send)
    problems: list[str] = field(default_factory=list)


def send_digest(store: Store, digest: Digest, address: str, settings: SmtpSettings) -> DigestMail:
    """Queue ``digest`` for ``address`` (once per digest: a re-built window replaces its
    digest in place, so its email is not queued twice) and deliver the outbox."""
    from paperradar.digest import render

    if not digest.entries:
        return DigestMail("empty")
    row = queue_email(
        store,
        recipient=address,
        subject=f"paperradar: {len(digest.entries)} papers for {digest.profile} ({digest.window})",
        html=render.to_html(digest),
        text=render.to_markdown(digest),
        digest_id=digest.id,
    )
    report = deliver_pending(store, settings)
    return DigestMail(store.delivery.email_status(row), list(report.errors))
