"""The same damaged files through the two shells: ``paperradar ingest`` in a subprocess (exit
0 or 2, never a traceback; the store unchanged after a 2) and the web upload form (200, 303,
400 or 413, never a 5xx; the store unchanged after a 400). ``make test`` sends one file per
format through each; ``make fuzz`` many.

Both run on SQLite for every format, and on PostgreSQL (a database named by the home's
config.toml: tests/helpers/backends.py) for :data:`PG_FORMATS` in ``make test``, every format
in ``make fuzz``. "Unchanged" is every table's rows, compared before and after."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import backends
from helpers.backends import PerBackend
from hypothesis import given

from paperradar.embedding import FakeEmbedder
from paperradar.radar.profiles import create_profile
from paperradar.readers import FORMAT_NAMES
from paperradar.web.app import create_app

from .contract import HANG_SECONDS, save
from .inputs import Case, cases
from .profiles import PROFILE, fuzz_settings

pytestmark = pytest.mark.fuzz

#: statuses an upload may answer: the page (htmx), a redirect, a bad file, a file too large
UPLOAD_STATUSES = {200, 303, 400, 413}
#: the formats fuzzed on PostgreSQL too in ``make test``: JSON Lines, BibTeX, and the HF
#: listing's counts
PG_FORMATS = ["arxiv-daily", "bibtex", "hf-daily"]
#: (backend, format) of each driver test
BACKEND_FORMATS = [
    (backend, fmt)
    for backend in backends.BACKENDS
    for fmt in FORMAT_NAMES
    if backend == backends.SQLITE or PROFILE == "fuzz" or fmt in PG_FORMATS
]
on_backends_and_formats = pytest.mark.parametrize(("backend", "fmt"), BACKEND_FORMATS)


def broken(fmt: str, case: Case, signature: str, message: str) -> AssertionError:
    kept = save(fmt, case, signature)
    return AssertionError(f"{message} [kept as {kept}]")


def stored(home: Path) -> dict[str, list[tuple[str, ...]]]:
    """What the store holds: every non-empty table's rows (nothing before the first run made
    the store)."""
    if backends.backend_of(home) == backends.SQLITE and not (home / backends.DB_FILE).exists():
        return {}
    return {table: rows for table, rows in backends.contents(home).items() if rows}


@on_backends_and_formats
def test_the_cli_exits_0_or_2_without_a_traceback(fmt: str, home: Path, tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()

    @fuzz_settings(ci=1, fuzz=15)
    @given(cases(fmt))
    def ingest(case: Case) -> None:
        path = files / case.name
        path.write_bytes(case.data)
        command = [sys.executable, "-m", "paperradar", "--home", str(home), "ingest"]
        command += ["--format", case.fmt] if case.fmt else []
        before = stored(home)
        try:
            done = subprocess.run(
                [*command, str(path)],
                capture_output=True,
                text=True,
                timeout=HANG_SECONDS * 2,
                env={**os.environ, "PAPERRADAR_EMBEDDER": "fake"},
            )
        except subprocess.TimeoutExpired as exc:
            raise broken(fmt, case, "cli-hang", f"paperradar ingest hung: {exc}") from exc
        finally:
            path.unlink(missing_ok=True)
        if "Traceback" in done.stderr or done.returncode not in (0, 2):
            last = done.stderr.strip().splitlines()[-1:] or [""]
            kind = re.sub(r"\W+", "_", last[0].split(":")[0])[:40]
            raise broken(
                fmt,
                case,
                f"cli-{done.returncode}-{kind}",
                f"exit {done.returncode}: {done.stderr[-2000:]}",
            )
        if done.returncode == 2 and stored(home) != before:
            raise broken(fmt, case, "cli-store-changed", f"exit 2 changed the store: {done}")

    ingest()


@pytest.fixture(scope="module")
def web_homes() -> Iterator[PerBackend[Path]]:
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-web-") as tmp:

        def build(backend: str) -> Path:
            home = backends.make_home(Path(tmp) / backend, backend)
            with backends.open_home(home) as store:
                create_profile(store, "fuzz")
            return home

        yield PerBackend(build)


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


@on_backends_and_formats
def test_the_web_upload_never_answers_5xx(
    fmt: str, backend: str, web_homes: PerBackend[Path]
) -> None:
    web_home = web_homes(backend)
    app = create_app(web_home, single_user=True, embedder=FakeEmbedder(), warm_up=False)
    # a server error comes back as its status, not as the exception
    client = TestClient(
        app, follow_redirects=False, base_url="http://localhost", raise_server_exceptions=False
    )
    with client:
        csrf = csrf_of(client.get("/profiles/fuzz").text)

        @fuzz_settings(ci=2, fuzz=40)
        @given(cases(fmt))
        def upload(case: Case) -> None:
            before = stored(web_home)
            answer = client.post(
                "/profiles/fuzz/upload",
                data={"csrf": csrf, "format": case.fmt or ""},
                files={"file": (case.name, case.data, "application/octet-stream")},
            )
            if answer.status_code not in UPLOAD_STATUSES:
                raise broken(
                    fmt,
                    case,
                    f"web-{answer.status_code}",
                    f"upload answered {answer.status_code}: {answer.text[:1000]}",
                )
            if answer.status_code == 400 and stored(web_home) != before:
                raise broken(fmt, case, "web-store-changed", f"a 400 changed the store: {answer}")

        try:
            upload()
        finally:
            app.state.web.store.close()
