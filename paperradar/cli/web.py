"""The web commands: ``serve`` and ``user add|list|rm|passwd|grant`` (thin, as every command)."""

from __future__ import annotations

import ipaddress
import os
import sys

import click

from paperradar.cli.common import CommandSet, emit_json, err, handle_errors, home_store, out
from paperradar.config import HOME_ENV, resolve_home
from paperradar.errors import UsageError

commands = CommandSet()

#: seconds a stopping server (SIGTERM, Ctrl-C) waits for the requests in flight
SHUTDOWN_GRACE_S = 2


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@commands.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--single-user",
    is_flag=True,
    help="No login: every profile is yours (only on a loopback address).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Server processes sharing the store (PostgreSQL is the store for several).",
)
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str, port: int, single_user: bool, workers: int) -> None:
    """Serve the web app: the radar, search, papers, trending, profiles and the topic map."""
    import uvicorn

    from paperradar.web.app import SINGLE_USER_ENV, create_app

    if single_user and not _is_loopback(host):
        raise UsageError(
            f"--single-user serves without login, so only on a loopback address, not {host}"
        )
    if not 0 < port < 65536:
        raise UsageError(f"--port must be 1-65535, not {port}")
    if workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {workers}")
    home = resolve_home(ctx.obj["home"])
    # made here even for several workers: the store is opened (created, migrated) once, and
    # a bad store or home fails here, as one line, before any worker starts
    app = create_app(home, single_user=single_user, warm_up=workers == 1)
    state = app.state.web
    if not single_user and not state.store.accounts.has_users():
        err.print("warning: no users yet: add one with `paperradar user add NAME`", markup=False)
    mode = "single-user, no login" if single_user else "log in with a user account"
    processes = f", {workers} worker processes" if workers > 1 else ""
    err.print(f"serving {home} on http://{host}:{port}/ ({mode}{processes})", markup=False)
    if workers > 1:
        state.store.close()  # each worker opens its own
        # the workers are fresh interpreters (spawned): they make the app from the environment
        os.environ[HOME_ENV] = str(home)
        os.environ[SINGLE_USER_ENV] = "1" if single_user else "0"
    uvicorn.run(
        app if workers == 1 else "paperradar.web.app:app_from_env",
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,  # then the requests left are cancelled
    )


@commands.group()
def user() -> None:
    """Web accounts: add, list, remove, change a password, grant a profile."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@user.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--profile", "profiles", multiple=True, help="Give the user this profile.")
@click.pass_context
@handle_errors
def user_add(
    ctx: click.Context, name: str, password_stdin: bool, profiles: tuple[str, ...]
) -> None:
    """Add a web user NAME (the password is asked for, or read with --password-stdin)."""
    from paperradar.radar.profiles import load_profile
    from paperradar.web.accounts import add_user, grant_profile

    password = _password(password_stdin)
    with home_store(ctx) as store:
        for profile in profiles:  # unknown profiles fail before the user is made
            load_profile(store, profile)
        add_user(store, name, password)
        for profile in profiles:
            grant_profile(store, name, profile)
    out.print(f"user {name} added" + (f" with {', '.join(profiles)}" if profiles else ""))


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def user_list(ctx: click.Context, as_json: bool) -> None:
    """The users and the profiles each owns."""
    from paperradar.web.accounts import list_users

    with home_store(ctx) as store:
        users = list_users(store)
    if as_json:
        emit_json([{"name": u.name, "profiles": profiles} for u, profiles in users])
        return
    if not users:
        out.print("no users")
    for u, profiles in users:
        out.print(f"{u.name}: {', '.join(profiles) or 'no profiles'}", markup=False)


@user.command("rm")
@click.argument("name")
@click.pass_context
@handle_errors
def user_rm(ctx: click.Context, name: str) -> None:
    """Remove a user and their sessions (their profiles stay, owned by nobody)."""
    from paperradar.web.accounts import remove_user

    with home_store(ctx) as store:
        remove_user(store, name)
    out.print(f"user {name} removed")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@handle_errors
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a user's password (their sessions end)."""
    from paperradar.web.accounts import set_password

    password = _password(password_stdin)
    with home_store(ctx) as store:
        set_password(store, name, password)
    out.print(f"password of {name} changed")


@user.command("grant")
@click.argument("name")
@click.argument("profile")
@click.pass_context
@handle_errors
def user_grant(ctx: click.Context, name: str, profile: str) -> None:
    """Give profile PROFILE to user NAME (made with the CLI, a profile belongs to nobody)."""
    from paperradar.web.accounts import grant_profile

    with home_store(ctx) as store:
        previous = grant_profile(store, name, profile)
    moved = f" (it belonged to {previous} before)" if previous else ""
    out.print(f"{profile} now belongs to {name}{moved}", markup=False)
