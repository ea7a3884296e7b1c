"""Ctrl-C during ``paperradar deliver`` never sends a message twice, and loses none.

A real ``deliver`` process, a real SMTP server (aiosmtpd) on 127.0.0.1 that is slow where the
trial needs it, and SIGINT at a chosen moment: while the server takes the message (it has it
once the final dot arrives, as a real server queues it), while it answers RCPT, or while it
answers DATA for longer than the client waits. Then a second ``deliver`` sends the rest, and
each message must have reached the server exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from helpers.cli import popen_cli, run_cli_process
from helpers.smtp import Recorder, free_port

from paperradar.digest.mail import queue_email
from paperradar.store import Store

pytestmark = [pytest.mark.serial, pytest.mark.slow]

SENDER = "radar@example.org"
MESSAGES = 3


@dataclass
class SlowServer(Recorder):
    """A Recorder that keeps a message as soon as its DATA ends, then waits ``data_delay``
    seconds before answering; or waits ``rcpt_delay`` before answering RCPT. ``arrived`` is
    set when the first slow command arrives."""

    data_delay: float = 0.0
    rcpt_delay: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_delay:
            self.arrived.set()
            await asyncio.sleep(self.rcpt_delay)
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.data_delay:
            self.arrived.set()
            await asyncio.sleep(self.data_delay)
        return reply

    def slow_down(self, data: float = 0.0, rcpt: float = 0.0) -> None:
        self.data_delay, self.rcpt_delay = data, rcpt
        self.arrived.clear()


@pytest.fixture
def server() -> Iterator[tuple[SlowServer, int]]:
    handler = SlowServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def outbox_home(home: Path, port: int, timeout: float = 10.0) -> list[str]:
    """A home whose config reaches the server, with MESSAGES emails queued; their ids."""
    home.mkdir(parents=True)
    (home / "config.toml").write_text(
        f'[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'from = "{SENDER}"\ntimeout = {timeout}\n',
        encoding="utf-8",
    )
    with Store.open(home) as store:
        for n in range(MESSAGES):
            queue_email(
                store,
                recipient=f"reader{n}@example.org",
                subject=f"Your radar, part {n}",
                html=f"<p>part {n}</p>",
                text=f"part {n}\n",
                sender=SENDER,
            )
    return message_ids(home)


def message_ids(home: Path) -> list[str]:
    conn = sqlite3.connect(home / "paperradar.db")
    try:
        return [str(r[0]) for r in conn.execute("SELECT message_id FROM outbox ORDER BY id")]
    finally:
        conn.close()


def statuses(home: Path) -> list[str]:
    conn = sqlite3.connect(home / "paperradar.db")
    try:
        return [str(r[0]) for r in conn.execute("SELECT status FROM outbox ORDER BY id")]
    finally:
        conn.close()


def interrupt_deliver(home: Path, handler: SlowServer) -> str:
    """Run ``deliver``, SIGINT it once the server's slow command has begun; its stderr."""
    proc = popen_cli(home, "deliver")
    try:
        assert handler.arrived.wait(30), "deliver never reached the slow command"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = stderr.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text
    assert "interrupted: no message goes out twice" in text
    return text


def received(handler: SlowServer) -> list[str]:
    return [str(m["Message-ID"]) for m in handler.messages]


def finish_and_count(home: Path, handler: SlowServer, ids: list[str]) -> None:
    """A plain ``deliver`` sends the rest: every message reached the server exactly once."""
    handler.slow_down()
    result = run_cli_process(home, "deliver")
    assert result.code == 0, result.stderr
    assert sorted(received(handler)) == sorted(ids), "a message was lost or sent twice"
    assert statuses(home) == ["sent"] * MESSAGES


@pytest.mark.parametrize("trial", range(3))
def test_ctrl_c_while_the_server_takes_the_message(
    trial: int, tmp_path: Path, server: tuple[SlowServer, int]
) -> None:
    """The interrupt comes after the final dot: the server's 250 is waited for and the
    message counts as sent; it is not sent again."""
    handler, port = server
    home = tmp_path / "home"
    ids = outbox_home(home, port)
    handler.slow_down(data=1.0)
    started = time.monotonic()
    interrupt_deliver(home, handler)
    assert time.monotonic() - started < 10
    assert received(handler) == ids[:1]
    assert statuses(home) == ["sent"] + ["pending"] * (MESSAGES - 1)
    finish_and_count(home, handler, ids)


def test_ctrl_c_before_the_message_is_complete(
    tmp_path: Path, server: tuple[SlowServer, int]
) -> None:
    """The interrupt comes before DATA: the connection is dropped, the server has nothing,
    and the message waits for the next run."""
    handler, port = server
    home = tmp_path / "home"
    ids = outbox_home(home, port)
    handler.slow_down(rcpt=3.0)
    interrupt_deliver(home, handler)
    assert received(handler) == []
    assert statuses(home) == ["pending"] * MESSAGES
    finish_and_count(home, handler, ids)


def test_ctrl_c_while_the_server_takes_too_long_to_answer(
    tmp_path: Path, server: tuple[SlowServer, int]
) -> None:
    """No answer to the final dot within email.timeout: the server most likely has the
    message, so it is marked sent (with a note) rather than sent twice."""
    handler, port = server
    home = tmp_path / "home"
    ids = outbox_home(home, port, timeout=1.0)
    handler.slow_down(data=4.0)
    interrupt_deliver(home, handler)
    assert received(handler) == ids[:1]
    assert statuses(home) == ["sent"] + ["pending"] * (MESSAGES - 1)
    conn = sqlite3.connect(home / "paperradar.db")
    try:
        note = conn.execute("SELECT last_error FROM outbox ORDER BY id").fetchone()[0]
    finally:
        conn.close()
    assert "not sent again" in note
    finish_and_count(home, handler, ids)
