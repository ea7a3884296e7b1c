"""The architecture, as checks: SQL only in the store, imports only down the layers.

docs/architecture.md draws the layers; these tests keep the code to the drawing. They read the
source with ``ast`` (nothing is imported), so a lazy import inside a function counts as much
as one at the top of a module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import paths

PACKAGE = paths.PACKAGE

#: the layers, lowest first: a module may import its own layer's packages and those below
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"errors", "models", "identifiers", "codec", "config"}),
    ("store", {"store"}),
    ("ingestion", {"readers", "sources", "ingest", "embedding", "exports"}),
    ("search", {"search"}),
    ("radar", {"radar"}),
    ("digest", {"digest"}),
    ("orchestration", {"schedule", "eval"}),
    ("web", {"web"}),
    ("cli", {"cli"}),
]
#: the package's front doors, which re-export from everywhere and are imported by nothing
FRONT = {"__init__", "__main__"}

_SQL = re.compile(
    r"\b(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+(OR\s+\w+\s+)?\w+\s+SET\b"
    r"|DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER)\b|PRAGMA\s+\w|BEGIN\s+IMMEDIATE"
    r"|\bMATCH\s+\?)"
)


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(parts), path


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def _rank(top: str) -> int | None:
    for rank, (_, members) in enumerate(LAYERS):
        if top in members:
            return rank
    return None


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every ``paperradar.X`` module named by an import in the file, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("paperradar."):
                    yield node.lineno, alias.name.removeprefix("paperradar.")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "paperradar":
                for alias in node.names:  # from paperradar import identifiers
                    yield node.lineno, alias.name
            elif node.module.startswith("paperradar."):
                yield node.lineno, node.module.removeprefix("paperradar.")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (prose may mention SQL words)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_every_package_has_a_layer() -> None:
    unplaced = {
        _top(module)
        for module, _ in _modules()
        if _top(module) not in FRONT and _rank(_top(module)) is None
    }
    assert not unplaced, f"add these to LAYERS (and docs/architecture.md): {sorted(unplaced)}"


def test_imports_point_down_the_layers() -> None:
    upward: list[str] = []
    for module, path in _modules():
        if _top(module) in FRONT:
            continue
        own = _rank(_top(module))
        assert own is not None
        for line, target in _imports(path):
            rank = _rank(_top(target))
            if _top(target) in FRONT or (rank is not None and rank > own):
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


@pytest.mark.parametrize(
    ("driver", "backend"), [("sqlite3", "store.sqlite."), ("psycopg", "store.postgres.")]
)
def test_a_database_driver_is_imported_only_by_its_backend(driver: str, backend: str) -> None:
    offenders = []
    for module, path in _modules():
        if module.startswith(backend):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name.split(".")[0] in (driver, f"{driver}_pool") for name in names):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offenders, f"{driver} imported outside paperradar/{backend}: " + ", ".join(offenders)


#: modules outside the store allowed to import a backend module, and why
BACKEND_IMPORTS = {
    # CSFCube's bm25 baseline: an in-memory FTS5 index of the benchmark's papers that must
    # tokenize exactly as the store does (the same helper builds both tables)
    ("eval.csfcube", "store.sqlite.keyword"),
}


def test_only_the_store_knows_its_backends() -> None:
    """Outside paperradar/store/, code goes through the protocol (``store.papers`` ...) and
    ``paperradar.store`` itself, never a backend's modules."""
    offenders = []
    for module, path in _modules():
        if _top(module) in ("store", *FRONT):
            continue
        for line, target in _imports(path):
            if target.startswith("store.sqlite") and (module, target) not in BACKEND_IMPORTS:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not offenders, "backend modules imported outside the store:\n" + "\n".join(offenders)


def test_sql_is_written_only_in_the_store() -> None:
    offenders = []
    for module, path in _modules():
        if _top(module) == "store":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and _SQL.search(node.value)
            ):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offenders, "SQL outside paperradar/store/: " + ", ".join(offenders)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT id FROM papers",
        "INSERT OR IGNORE INTO aliases (alias) VALUES (?)",
        "UPDATE papers SET pid = ?",
        "DELETE FROM sessions WHERE id = ?",
        "PRAGMA data_version",
        "WHERE papers_fts MATCH ?",
    ],
)
def test_the_sql_check_sees_sql(text: str) -> None:
    assert _SQL.search(text)


@pytest.mark.parametrize(
    "text", ["Select papers to read", "update the profile", "select a mode", "insert a row"]
)
def test_the_sql_check_passes_prose(text: str) -> None:
    assert not _SQL.search(text)


def test_store_connections_stay_inside_the_store() -> None:
    """No module outside the store reaches for the backend's connection or raw queries."""
    offenders = []
    pattern = re.compile(r"\bstore\.(conn|query)\b|\b_db\.conn\b")
    for module, path in _modules():
        if _top(module) == "store":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}")
    assert not offenders, "store.conn / store.query outside the store: " + ", ".join(offenders)
