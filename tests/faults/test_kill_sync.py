"""SIGKILL at a random point of ``paperradar sync``, then a re-run, on both storage backends
(tests/helpers/backends.py).

Two ``arxiv-oai`` sources harvest a real OAI-PMH server on 127.0.0.1: ``ListRecords`` over a
datestamp window, many pages linked by resumption tokens, ``noRecordsMatch`` for a window with
nothing new. The records are the shipped arXiv slice (set ``cs``) and a copy of it under other
ids (set ``math``), written as arXiv's ``metadataPrefix=arXiv`` records; a token names how many
records of its set came before its page, so the store can be checked against it.

A whole sync is timed first (once, on this machine); each trial starts one on a fresh home,
kills it with SIGKILL after a delay drawn over that time, and then checks:

- the store's integrity (SQLite's and FTS5's checks, or PostgreSQL's amcheck);
- no paper or sighting stored twice (each record is one paper with one sighting);
- the checkpoints agree with the store: a source that has not started has nothing stored,
  an interrupted one has exactly the records before its checkpoint's token (or none, when it
  waits on its first request), a complete one has all of its set and no checkpoint;
- a re-run completes both sources with every paper present exactly once, resumes from the
  checkpoint, and asks again only for the page that was in flight at the kill.

``PAPERRADAR_FAULT_TRIALS`` sets the trials (tests/helpers/faults.py; PostgreSQL gets half).
Real processes, timed: these tests run alone (marker ``serial``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson
import pytest
from helpers import backends, paths
from helpers.backends import PerBackend
from helpers.faults import TRIALS_ON_BOTH, check_store, kill_after, timed
from helpers.httpserver import LocalServer, Logged, Reply

pytestmark = [pytest.mark.serial, pytest.mark.slow]

#: records per page: the slice makes about 50 pages per set
PAGE = 50
#: the sets served, and the arXiv id prefix each one's records get
SETS = {"cs": None, "math": "2301"}
TODAY = dt.date.today()
#: every record's datestamp: inside the first window, before any later one
STAMPED = TODAY - dt.timedelta(days=1)
SINCE = TODAY - dt.timedelta(days=2)
XML = {"Content-Type": "text/xml; charset=utf-8"}
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
    "<responseDate>{now}</responseDate>\n"
    '<request verb="ListRecords">http://127.0.0.1/oai</request>\n'
)


def _record(record: dict[str, Any]) -> str:
    """One slice record as an OAI-PMH ``<record>`` in arXiv's own metadata format."""
    authors = []
    for name in record["authors"]:
        *forenames, keyname = name.split()
        first = f"<forenames>{escape(' '.join(forenames))}</forenames>" if forenames else ""
        authors.append(f"<author><keyname>{escape(keyname)}</keyname>{first}</author>")
    return (
        "<record><header>"
        f"<identifier>oai:arXiv.org:{record['id']}</identifier>"
        f"<datestamp>{STAMPED.isoformat()}</datestamp><setSpec>{record['set']}</setSpec>"
        '</header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
        f"<id>{record['id']}</id><created>{record['crawl_date']}</created>"
        f"<authors>{''.join(authors)}</authors><title>{escape(record['title'])}</title>"
        f"<categories>{' '.join(record['categories'])}</categories>"
        f"<abstract>{escape(record['abstract'])}</abstract>"
        "</arXiv></metadata></record>"
    )


def _records() -> dict[str, list[str]]:
    """Each set's records as OAI-PMH XML, in harvest order."""
    with gzip.open(paths.ARXIV_SLICE, "rb") as fh:
        slice_ = [orjson.loads(line) for line in fh if line.strip()]
    out: dict[str, list[str]] = {}
    for set_spec, prefix in SETS.items():
        out[set_spec] = [
            _record(
                {
                    **r,
                    "set": set_spec,
                    "id": f"{prefix}.{r['id'].split('.')[1]}" if prefix else r["id"],
                }
            )
            for r in slice_
        ]
    return out


def _oai(body: str) -> Reply:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Reply(body=HEAD.format(now=now) + body + "</OAI-PMH>\n", headers=XML)


@dataclass
class Harvest:
    """An OAI-PMH ``ListRecords`` server for :data:`SETS`; tokens are ``SET|OFFSET``."""

    server: LocalServer
    records: dict[str, list[str]]

    def total(self, set_spec: str) -> int:
        return len(self.records[set_spec])

    def reply(self, request: Logged) -> Reply:
        token = request.param("resumptionToken")
        if token:
            set_spec, offset = token.split("|")
            return self._page(set_spec, int(offset))
        since, until = request.param("from"), request.param("until")
        if since is None or until is None or not since <= STAMPED.isoformat() <= until:
            return _oai(
                '<error code="noRecordsMatch">The combination of the values of the from, '
                "until, set and metadataPrefix arguments results in an empty list.</error>\n"
            )
        return self._page(str(request.param("set")), 0)

    def _page(self, set_spec: str, offset: int) -> Reply:
        records = self.records[set_spec]
        end = offset + PAGE
        token = f"{set_spec}|{end}" if end < len(records) else ""
        return _oai(
            "<ListRecords>\n"
            + "\n".join(records[offset:end])
            + f'\n<resumptionToken cursor="{offset}" completeListSize="{len(records)}">'
            + f"{token}</resumptionToken>\n</ListRecords>\n"
        )

    def asked(self, since: int = 0) -> list[str]:
        """The requests after the first ``since``: ``SET|OFFSET``, or ``SET|window``."""
        return [
            r.param("resumptionToken") or f"{r.param('set')}|window"
            for r in self.server.requests("/oai")[since:]
        ]


@pytest.fixture(scope="module")
def harvest() -> Iterator[Harvest]:
    server = LocalServer().start()
    served = Harvest(server, _records())
    server.route("/oai", served.reply)
    try:
        yield served
    finally:
        server.stop()


def configure(home: Path, server: LocalServer) -> Path:
    sources = "".join(
        f'\n[sources.{set_spec}]\nkind = "arxiv-oai"\nbase_url = "{server.url}/oai"\n'
        f'set = "{set_spec}"\nsince = "{SINCE.isoformat()}"\n'
        for set_spec in SETS
    )
    return backends.write_config(
        home,
        '[http]\ncontact = "tests@example.org"\nattempts = 2\nbackoff = 0.01\ntimeout = 30\n'
        f'\n[http.intervals]\n"127.0.0.1" = 0.01\n{sources}',
    )


@dataclass(frozen=True, slots=True)
class State:
    """One source's row of ``source_state`` (None: it never started)."""

    cursor: dict[str, Any]
    checkpoint: dict[str, Any] | None
    failures: int


def _json(value: Any) -> Any:
    """A JSON column's value: text in SQLite, already decoded by psycopg."""
    return json.loads(value) if isinstance(value, str) else value


def source_states(home: Path) -> dict[str, State]:
    rows = backends.rows(home, "SELECT name, cursor, checkpoint, failures FROM source_state")
    return {
        name: State(_json(cursor), _json(checkpoint) if checkpoint else None, fails)
        for name, cursor, checkpoint, fails in rows
    }


def stored_per_set(home: Path) -> dict[str, int]:
    """Papers stored from each set (told apart by their arXiv id prefix)."""
    math = backends.count(home, "papers", "arxiv_id LIKE '2301.%'")
    return {"cs": backends.count(home, "papers") - math, "math": math}


def expected_stored(state: State | None, total: int) -> int:
    """How many of a set's records the store must hold, given its source's saved state."""
    if state is None:  # killed before the source started
        return 0
    if state.checkpoint is None:  # complete: the window's cursor is saved
        assert state.cursor == {"until": TODAY.isoformat()}, state
        return total
    assert state.checkpoint["from"] == SINCE.isoformat(), state
    assert state.checkpoint["until"] == TODAY.isoformat(), state
    token = state.checkpoint.get("token")
    if token is None:  # waiting on its first request
        return 0
    return int(str(token).split("|")[1])


@pytest.fixture(scope="module")
def durations(tmp_path_factory: pytest.TempPathFactory, harvest: Harvest) -> PerBackend[float]:
    """How long a whole sync of both sets takes on this machine, on each backend."""

    def measure(backend: str) -> float:
        home = backends.make_home(tmp_path_factory.mktemp("measure") / "home", backend)
        seconds = timed(configure(home, harvest.server), "sync")
        counts = check_store(home)
        backends.forget(home)
        total = sum(harvest.total(s) for s in SETS)
        assert counts.papers == counts.sightings == total
        return seconds

    return PerBackend(measure)


@pytest.fixture
def duration(durations: PerBackend[float], backend: str) -> float:
    return durations(backend)


@pytest.mark.parametrize(("backend", "seed"), TRIALS_ON_BOTH)
def test_sync_killed_anywhere(seed: int, home: Path, harvest: Harvest, duration: float) -> None:
    configure(home, harvest.server)
    timed(home, "sync", "--status")  # the store exists before the kill: migrations done
    start = len(harvest.server.requests("/oai"))

    kill_after(home, random.Random(seed).uniform(0.0, duration), "sync")
    killed = harvest.asked(start)
    after = check_store(home)
    states = source_states(home)
    stored = stored_per_set(home)
    assert after.arxiv_ids == after.papers, "a paper stored twice"
    assert after.sightings == after.papers, "a sighting stored twice"
    for set_spec in SETS:
        state = states.get(set_spec)
        assert stored[set_spec] == expected_stored(state, harvest.total(set_spec)), (
            set_spec,
            state,
            stored,
        )

    resumed_from = {
        name: state.checkpoint for name, state in states.items() if state.checkpoint is not None
    }
    again_from = len(harvest.server.requests("/oai"))
    timed(home, "sync")
    rerun = harvest.asked(again_from)
    final = check_store(home)
    total = sum(harvest.total(s) for s in SETS)
    assert (final.papers, final.arxiv_ids, final.sightings) == (total, total, total)
    assert stored_per_set(home) == {s: harvest.total(s) for s in SETS}
    for set_spec, state in source_states(home).items():
        assert state == State({"until": TODAY.isoformat()}, None, 0), (set_spec, state)

    # a resumed source starts with its checkpoint's request; a complete one asks only for a
    # new window; a page whose papers were stored is never asked for again
    for set_spec, checkpoint in resumed_from.items():
        first = next(r for r in rerun if r.startswith(f"{set_spec}|"))
        assert first == (checkpoint.get("token") or f"{set_spec}|window"), (rerun, checkpoint)
    repeated = [req for req, n in Counter(killed + rerun).items() if n > 1]
    in_flight = killed[-1:] if killed else []
    complete_windows = [f"{s}|window" for s in SETS if s in states and s not in resumed_from]
    assert set(repeated) <= set(in_flight) | set(complete_windows), (repeated, killed, rerun)
