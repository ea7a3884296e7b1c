"""What the command modules share: the consoles, JSON output, error handling, the store of the
home given, the profile a command is for, the search filters, progress bars, and
:class:`CommandSet`.

It imports no command module and not ``paperradar.cli``. Library modules beyond the light
ones (errors, models, config) are imported inside the functions that use them, so that
``paperradar --help`` imports neither numpy nor torch.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson
from rich.console import Console
from rich.markup import escape as rich_escape

from paperradar.errors import PaperRadarError, UsageError

if TYPE_CHECKING:
    from paperradar.config import Config
    from paperradar.embedding import Embedder
    from paperradar.models import Paper
    from paperradar.search import Filters
    from paperradar.search.rerank import Reranker
    from paperradar.store.api import Store

F = TypeVar("F", bound=Callable[..., Any])
#: progress(stage, done, total): one bar per stage (see :func:`stage_progress`)
StageProgress = Callable[[str, int, int], None]
#: the help of every ``--profile`` option
PROFILE_HELP = "The profile (may be left out when there is only one)."


class _Console(Console):
    """A rich Console that :meth:`reset` sets up again, as a new process would."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        super().__init__(**options)

    def reset(self) -> None:
        """Look again at the environment and at sys.stdout/sys.stderr (colour, width)."""
        super().__init__(**self._options)


#: results (stdout) and messages (stderr)
out = _Console(highlight=False)
err = _Console(stderr=True, highlight=False, soft_wrap=True)


def reset_consoles() -> None:
    """Set the consoles up for the streams and environment of this invocation (for more than
    one invocation in a process, as in the tests)."""
    out.reset()
    err.reset()


class CommandSet:
    """The commands a module defines; paperradar.cli adds them to the ``paperradar`` group
    (so that no command module imports the group)."""

    def __init__(self) -> None:
        self.commands: list[click.Command] = []

    def command(
        self, name: str | None = None, **attrs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]:
        """``click.command``, remembering the command."""

        def decorator(func: Callable[..., Any]) -> click.Command:
            command = click.command(name, click.Command, **attrs)(func)
            self.commands.append(command)
            return command

        return decorator

    def group(
        self, name: str | None = None, **attrs: Any
    ) -> Callable[[Callable[..., Any]], click.Group]:
        """``click.group``, remembering the group."""

        def decorator(func: Callable[..., Any]) -> click.Group:
            group = click.group(name, click.Group, **attrs)(func)
            self.commands.append(group)
            return group

        return decorator


def emit_json(value: object) -> None:
    """Print ``value`` as indented JSON on stdout."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def handle_errors(func: F) -> F:
    """Turn library errors into a one-line message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PaperRadarError as exc:
            err.print(f"error: {exc}", markup=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print(
                "interrupted: what was not finished is not stored (embed keeps finished chunks)",
                markup=False,
            )
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def home_store(ctx: click.Context, home: Path | None = None) -> Store:
    """The store of ``home``, else of the global ``--home`` (created on first use)."""
    from paperradar.config import resolve_home
    from paperradar.store import open_store

    return open_store(resolve_home(home or ctx.obj["home"]))


def home_config(ctx: click.Context, home: Path | None = None) -> Config:
    """The home's config.toml, read once per command however many settings it gives."""
    from paperradar.config import load_config, resolve_home

    path = resolve_home(home or ctx.obj["home"])
    configs: dict[Path, Config] = ctx.obj.setdefault("configs", {})
    if path not in configs:
        configs[path] = load_config(path)
    return configs[path]


def home_embedder(ctx: click.Context, home: Path | None = None) -> Embedder:
    """The embedder of the home's config (``[embedding] model``; ``PAPERRADAR_EMBEDDER``
    first, for tests), MiniLM by default."""
    from paperradar.embedding import default_embedder

    return default_embedder(home_config(ctx, home))


def home_reranker(ctx: click.Context, home: Path | None = None) -> Reranker:
    """The reranker ``[search] rerank`` of the home's config names (default: none)."""
    from paperradar.search.rerank import configured_reranker

    return configured_reranker(home_config(ctx, home))


def resolve_profile(store: Store, given: str | None) -> str:
    """The named profile, or the only one there is."""
    from paperradar.radar.profiles import profile_names

    if given:
        return given
    names = profile_names(store)
    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError("no profile yet: create one with `paperradar profile create NAME`")
    raise UsageError(f"--profile is needed: there are {len(names)} ({', '.join(names)})")


def escape(text: str) -> str:
    """``text`` with rich markup escaped."""
    return rich_escape(text)


def date_of(paper: Paper) -> str:
    """The paper's listing date, else its submission date, as YYYY-MM-DD (or "")."""
    day = paper.listed or paper.submitted
    return day.isoformat() if day else ""


def filter_options(func: F) -> F:
    """The filters every search command takes."""
    options = [
        click.option(
            "--since", help="Only papers dated on or after a date (YYYY-MM-DD) or a span (7d, 2w)."
        ),
        click.option("--until", help="Only papers dated on or before a date or a span back."),
        click.option("--category", help="Only papers in a category (cs.CL) or archive (cs)."),
        click.option("--source", help="Only papers seen by a source (arxiv-daily, hf-daily, ...)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def filters_from(
    since: str | None, until: str | None, category: str | None, source: str | None
) -> Filters:
    """The :func:`filter_options` values as search Filters."""
    from paperradar.search import Filters, parse_since

    return Filters(
        since=parse_since(since) if since else None,
        until=parse_since(until, option="--until") if until else None,
        category=category,
        source=source,
    )


def progress_lines(
    label: str, every: float = 30.0, clock: Callable[[], float] = time.monotonic
) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` that prints a plain line to stderr on the first call,
    then at most once every ``every`` seconds and at the end: ``embed: 1,024 of 2,881 (18%),
    51/s, about 36 s left``. For stderr that is a log file or a pipe, where a bar is not shown."""
    started = clock()
    last: float | None = None

    def show(done: int, total: int) -> None:
        nonlocal last
        now = clock()
        if last is not None and now - last < every and done < total:
            return
        last = now
        elapsed = now - started
        line = f"{label}: {done:,} of {total:,}"
        if total:
            line += f" ({100 * done // total}%)"
        if elapsed > 0 and done:
            rate = done / elapsed
            line += f", {rate:,.0f}/s"
            if done < total:
                line += f", about {_duration((total - done) / rate)} left"
        err.print(line, markup=False)

    return show


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@contextmanager
def stage_progress(quiet: bool) -> Iterator[StageProgress | None]:
    """A bar per stage on the terminal's stderr, or None (quiet, --json, or a pipe)."""
    if quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
