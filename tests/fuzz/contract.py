"""The contract every reader keeps, checked through the library's ingest path, and the regression
files that keep each violation found.

Reading any bytes either stores papers or raises an InputError whose message starts with the
file's name, leaving the store as it was (its paper count; on PostgreSQL, where a failed ingest
is one rolled-back transaction, every table's rows: tests/helpers/backends.py). Any other
exception, a message that does not name the file, a store changed by a failed ingest, or a read
that runs past :data:`HANG_SECONDS` breaks it: the input is then saved under
regressions/<format>/ (the smallest input seen for that kind of failure, so hypothesis'
shrinking leaves the minimal one) and replayed by test_fuzz_regressions.py on every run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import signal
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from helpers import backends

from paperradar import InputError, ingest_files
from paperradar.store.api import Store

from .inputs import Case

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
#: a read of one fuzz input taking longer than this is a hang
HANG_SECONDS = 30.0
DAY = dt.date(2026, 7, 1)


class Hang(Exception):
    """A read ran past HANG_SECONDS."""


class Broken(AssertionError):
    """The contract does not hold for an input; ``signature`` names the kind of failure."""

    def __init__(self, signature: str, message: str) -> None:
        self.signature = signature
        super().__init__(message)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in this (the main) thread once ``seconds`` have passed."""

    def ring(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"still reading after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def where(exc: BaseException) -> str:
    """The innermost paperradar frame of ``exc``'s traceback: ``module.function``."""
    place = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if "paperradar" in path.parts and "tests" not in path.parts:
            place = f"{path.stem}.{frame.name}"
    return place


def check(store: Store, folder: Path, case: Case) -> None:
    """Ingest ``case`` into ``store`` (the file written in ``folder``): raise Broken unless
    the contract holds."""
    path = folder / case.name
    path.write_bytes(case.data)
    before = snapshot(store)
    try:
        with time_limit(HANG_SECONDS):
            ingest_files(store, [path], fmt=case.fmt, reference_date=DAY)
    except InputError as exc:
        message = str(exc)
        if not message.startswith(str(path)):
            raise Broken(
                f"message-{type(exc).__name__}", f"the message does not name the file: {message}"
            ) from exc
        if "\n" in message:
            raise Broken(
                f"multiline-{type(exc).__name__}", f"a message of lines: {message!r}"
            ) from exc
        after = snapshot(store)
        if after != before:
            raise Broken("store-changed", f"the store changed: {message}") from exc
    except Hang as exc:
        raise Broken(f"hang-{where(exc)}", f"{exc} ({where(exc)})") from exc
    except Exception as exc:
        kind = type(exc).__name__
        if type(exc).__module__ != "builtins":  # zlib.error, not error
            kind = f"{type(exc).__module__}.{kind}"
        raise Broken(f"{kind}-{where(exc)}", f"{kind}: {exc}"[:2000]) from exc
    finally:
        path.unlink(missing_ok=True)


def snapshot(store: Store) -> Any:
    """What a failed ingest must leave as it was: the paper count on SQLite, every table's
    rows on PostgreSQL."""
    if backends.backend_of(store.home) == backends.POSTGRES:
        return backends.contents(store.home)
    return store.papers.count()


def save(fmt: str, case: Case, signature: str) -> Path | None:
    """Keep ``case`` as the regression file of ``signature`` unless a smaller one is kept."""
    folder = REGRESSIONS / fmt
    tag = hashlib.sha1(signature.encode()).hexdigest()[:8]
    mode = "forced" if case.fmt else "sniffed"
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in signature)[:80]
    stem = f"{safe}-{tag}.{mode}."
    try:
        folder.mkdir(parents=True, exist_ok=True)
        kept = [p for p in folder.iterdir() if p.name.startswith(f"{safe}-{tag}.")]
        if kept and min(p.stat().st_size for p in kept) <= len(case.data):
            return None
        for old in kept:
            old.unlink()
        target = folder / (stem + case.name)
        target.write_bytes(case.data)
        return target
    except OSError:  # a read-only checkout: the failure is still reported
        return None


def case_of(path: Path) -> Case:
    """The case a regression file holds (its folder names the format; ``.forced.`` forces
    it)."""
    fmt = path.parent.name
    _, mode, name = path.name.split(".", 2)
    return Case(data=path.read_bytes(), name=name, fmt=fmt if mode == "forced" else None, steps=())


def regression_files() -> list[Path]:
    if not REGRESSIONS.is_dir():
        return []
    return sorted(p for p in REGRESSIONS.glob("*/*") if p.is_file() and p.name.count(".") >= 2)
