"""The same damaged files through the two shells: ``paperradar ingest`` in a subprocess (exit
0 or 2, never a traceback) and the web upload form (200, 303, 400 or 413, never a 5xx; the
store unchanged after a 400). ``make test`` sends one file per format through each;
``make fuzz`` many."""

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
from hypothesis import given

from paperradar import Store
from paperradar.embedding import FakeEmbedder
from paperradar.radar.profiles import create_profile
from paperradar.readers import FORMAT_NAMES
from paperradar.web.app import create_app

from .contract import HANG_SECONDS, save
from .inputs import Case, cases
from .profiles import fuzz_settings

pytestmark = pytest.mark.fuzz

#: statuses an upload may answer: the page (htmx), a redirect, a bad file, a file too large
UPLOAD_STATUSES = {200, 303, 400, 413}


def broken(fmt: str, case: Case, signature: str, message: str) -> AssertionError:
    kept = save(fmt, case, signature)
    return AssertionError(f"{message} [kept as {kept}]")


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_the_cli_exits_0_or_2_without_a_traceback(fmt: str) -> None:
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-") as tmp:
        home, files = Path(tmp) / "home", Path(tmp) / "files"
        files.mkdir()

        @fuzz_settings(ci=1, fuzz=15)
        @given(cases(fmt))
        def ingest(case: Case) -> None:
            path = files / case.name
            path.write_bytes(case.data)
            command = [sys.executable, "-m", "paperradar", "--home", str(home), "ingest"]
            command += ["--format", case.fmt] if case.fmt else []
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

        ingest()


@pytest.fixture(scope="module")
def web_home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="paperradar-fuzz-web-") as tmp:
        home = Path(tmp) / "home"
        with Store.open(home) as store:
            create_profile(store, "fuzz")
        yield home


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_the_web_upload_never_answers_5xx(fmt: str, web_home: Path) -> None:
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
            before = app.state.web.store.papers.count()
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
            after = app.state.web.store.papers.count()
            if answer.status_code == 400 and after != before:
                raise broken(fmt, case, "web-store-changed", f"{before} papers, then {after}")

        try:
            upload()
        finally:
            app.state.web.store.close()
