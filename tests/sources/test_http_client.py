"""The polite HTTP client: pacing, retries, backoff, messages and settings.

Exact waits are checked with an injected clock, sleep and rng over ``httpx.MockTransport``
(no real waiting); the behaviour on the wire against the real local server of
``tests/httpserver.py``, with intervals and backoffs of a few hundredths of a second.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from helpers.httpserver import LocalServer, Reply

from paperradar.config import load_config
from paperradar.errors import ConfigError, FeedUnavailable, FormatError, RateLimited, SourceError
from paperradar.sources.http import (
    DEFAULT_INTERVALS,
    HttpSettings,
    PoliteClient,
    http_settings,
    open_client,
    safe_url,
    user_agent,
)

# Real clock granularity and loopback latency: arrival gaps may fall short by this much.
TOLERANCE = 0.02


def fast_settings(**changes: Any) -> HttpSettings:
    """Settings for the local server: no interval and tiny backoffs unless a test says so."""
    values: dict[str, Any] = {
        "user_agent": user_agent("radar-tests@example.org"),
        "timeout": 2.0,
        "attempts": 5,
        "backoff": 0.01,
        "backoff_max": 0.04,
        "retry_after_max": 5.0,
        "intervals": {"127.0.0.1": 0.0},
        "default_interval": 0.0,
    }
    values.update(changes)
    return HttpSettings(**values)


@pytest.fixture
def polite() -> Iterator[Callable[..., PoliteClient]]:
    """``polite(**settings)`` -> a PoliteClient on a real httpx client, closed afterwards."""
    clients: list[httpx.Client] = []

    def make(**changes: Any) -> PoliteClient:
        settings = fast_settings(**changes)
        clients.append(open_client(settings))
        return PoliteClient(clients[-1], settings)

    yield make
    for client in clients:
        client.close()


def gaps(server: LocalServer, path: str) -> list[float]:
    times = [logged.at for logged in server.requests(path)]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


# --- on the wire: the local server -------------------------------------------------------


def test_503_with_retry_after_is_honoured(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/feed", [Reply(503, headers={"Retry-After": "0.3"}), Reply(200, "ok")])
    client = polite()

    response = client.get(f"{http_server.url}/feed")

    assert response.text == "ok"
    assert len(http_server.requests("/feed")) == 2
    assert gaps(http_server, "/feed")[0] >= 0.3 - TOLERANCE
    assert client.requests_made == 2
    assert client.waited >= 0.3


def test_429_then_200(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/api", [Reply(429, headers={"Retry-After": "0"}), Reply(200, "{}")])

    response = polite().get(f"{http_server.url}/api", {"q": "graphs"})

    assert response.status_code == 200
    assert [r.param("q") for r in http_server.requests("/api")] == ["graphs", "graphs"]


def test_a_retry_after_above_the_cap_fails_at_once(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/api", [Reply(429, headers={"Retry-After": "3600"}), Reply(200, "ok")])
    client = polite(retry_after_max=600.0)

    with pytest.raises(RateLimited) as caught:
        client.get(f"{http_server.url}/api", source="s2")

    assert len(http_server.requests("/api")) == 1
    assert client.waited == 0
    assert caught.value.retry_after == 3600
    assert caught.value.status == 429
    message = str(caught.value)
    assert message.startswith(f"s2: GET {http_server.url}/api: 429 ")
    assert "3600 s" in message and "retry_after_max" in message


def test_server_errors_exhaust_the_attempts(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/oai", [Reply(500, body="oops\nstack trace")])
    client = polite()

    with pytest.raises(FeedUnavailable) as caught:
        client.get(f"{http_server.url}/oai", {"verb": "ListRecords", "set": "cs"})

    assert not isinstance(caught.value, RateLimited)
    assert isinstance(caught.value, SourceError)
    assert len(http_server.requests("/oai")) == 5
    assert client.requests_made == 5
    assert caught.value.status == 500
    assert str(caught.value) == (
        f"127.0.0.1: GET {http_server.url}/oai?verb=ListRecords&set=cs: "
        "500 Internal Server Error after 5 attempts"
    )


def test_429_every_time_ends_rate_limited(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/api", [Reply(429, body="slow down")])

    with pytest.raises(RateLimited, match=r"^hf: GET .*: 429 Too Many Requests after 3 attempts$"):
        polite(attempts=3).get(f"{http_server.url}/api", source="hf")

    assert len(http_server.requests("/api")) == 3


def test_404_fails_at_once_with_the_body(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/missing", [Reply(404, body="no such\n  listing: cs.XX")])

    with pytest.raises(FeedUnavailable) as caught:
        polite().get(f"{http_server.url}/missing", source="arxiv")

    assert len(http_server.requests("/missing")) == 1
    assert caught.value.status == 404
    assert str(caught.value) == (
        f"arxiv: GET {http_server.url}/missing: 404 Not Found: no such listing: cs.XX"
    )


def test_a_long_error_body_is_cut_to_200_characters(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/bad", [Reply(400, body="x" * 5000)])

    with pytest.raises(FeedUnavailable) as caught:
        polite().get(f"{http_server.url}/bad")

    assert str(caught.value).endswith(": 400 Bad Request: " + "x" * 200 + "…")


def test_408_is_retried(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/slow", [Reply(408), Reply(200, "ok")])

    assert polite().get(f"{http_server.url}/slow").text == "ok"
    assert len(http_server.requests("/slow")) == 2


@pytest.mark.serial  # a 0.3 s timeout against a 0.6 s reply: no load beside it
def test_a_slow_reply_times_out_and_is_retried(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/slow", [Reply(200, "late", delay=0.6)])

    with pytest.raises(FeedUnavailable) as caught:
        polite(timeout=0.3, attempts=2).get(f"{http_server.url}/slow", source="openalex")

    assert len(http_server.requests("/slow")) == 2
    assert caught.value.status is None
    assert str(caught.value) == (
        f"openalex: GET {http_server.url}/slow: timed out after 0.3 s (2 attempts)"
    )


@pytest.mark.serial
def test_a_timeout_then_a_reply(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/slow", [Reply(200, "late", delay=0.6), Reply(200, "prompt")])

    assert polite(timeout=0.3).get(f"{http_server.url}/slow").text == "prompt"
    assert len(http_server.requests("/slow")) == 2


def test_a_body_cut_short_is_retried(http_server: LocalServer, polite: Any) -> None:
    body = "<feed>" + "<entry/>" * 100 + "</feed>"
    http_server.route("/rss", [Reply(200, body, cut_at=20), Reply(200, body)])

    response = polite().get(f"{http_server.url}/rss")

    assert response.text == body
    assert len(http_server.requests("/rss")) == 2


def test_a_body_always_cut_short_fails_clearly(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/rss", [Reply(200, "<feed>" * 50, cut_at=10)])

    with pytest.raises(FeedUnavailable, match=r"the response was cut short: .* \(2 attempts\)$"):
        polite(attempts=2).get(f"{http_server.url}/rss")


def parse_json(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise FormatError(str(response.url), None, f"not JSON: {exc}") from exc


def test_fetch_retries_a_body_that_cannot_be_parsed(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/papers", [Reply(200, '{"data": [1, 2'), Reply(200, '{"data": [1, 2]}')])

    assert polite().fetch(f"{http_server.url}/papers", None, parse_json) == {"data": [1, 2]}
    assert len(http_server.requests("/papers")) == 2


def test_fetch_gives_up_on_a_body_that_never_parses(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/papers", [Reply(200, "<html>maintenance</html>")])

    with pytest.raises(FeedUnavailable) as caught:
        polite(attempts=3).fetch(f"{http_server.url}/papers", {"limit": 5}, parse_json)

    message = str(caught.value)
    assert message.startswith(f"127.0.0.1: GET {http_server.url}/papers?limit=5: ")
    assert ": the response could not be read: " in message and "not JSON" in message
    assert message.endswith("(3 attempts)")
    assert "\n" not in message
    assert isinstance(caught.value.__cause__, FormatError)


def test_post_json_sends_the_payload_and_retries(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/batch", [Reply(503), Reply(200, '[{"paperId": "a"}]')])

    response = polite().post_json(f"{http_server.url}/batch", {"ids": ["a"]}, params={"f": "x"})

    assert response.json() == [{"paperId": "a"}]
    logged = http_server.requests("/batch")
    assert [r.method for r in logged] == ["POST", "POST"]
    assert [orjson.loads(r.body) for r in logged] == [{"ids": ["a"]}, {"ids": ["a"]}]
    assert logged[0].param("f") == "x"


@pytest.mark.serial  # measures waits of 0.2 s: no load beside it
def test_the_host_interval_is_kept(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/a", [Reply(200, "a")])
    http_server.route("/b", [Reply(500), Reply(200, "b")])
    client = polite(intervals={"127.0.0.1": 0.2})

    for _ in range(3):
        client.get(f"{http_server.url}/a")
    client.get(f"{http_server.url}/b")  # a retry waits its turn too

    times = [logged.at for logged in http_server.requests()]
    assert len(times) == 5
    for earlier, later in itertools.pairwise(times):
        assert later - earlier >= 0.2 - TOLERANCE
    assert client.waited >= 4 * 0.2 - TOLERANCE


def test_the_user_agent_carries_the_contact(http_server: LocalServer, polite: Any) -> None:
    http_server.route("/ua", [Reply(200)])

    polite().get(f"{http_server.url}/ua", headers={"Accept": "application/json"})

    headers = {k.lower(): v for k, v in http_server.requests("/ua")[0].headers.items()}
    assert headers["user-agent"].startswith("paperradar/")
    assert "mailto:radar-tests@example.org" in headers["user-agent"]
    assert headers["accept"] == "application/json"


def test_api_keys_never_appear_in_messages_or_logs(
    http_server: LocalServer, polite: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret, header_secret = "S3CRET-api-value", "H3ADER-key-value"
    http_server.route("/denied", [Reply(403, body=f"invalid key {secret} / {header_secret}")])
    http_server.route("/down", [Reply(502)])
    caplog.set_level(logging.DEBUG)
    client = polite(attempts=2)

    with pytest.raises(FeedUnavailable) as denied:
        client.get(
            f"{http_server.url}/denied",
            {"q": "x", "API_KEY": secret},
            headers={"x-api-key": header_secret},
        )
    with pytest.raises(FeedUnavailable) as down:
        client.get(f"{http_server.url}/down?token={secret}&page=2")

    assert http_server.requests("/denied")[0].param("API_KEY") == secret  # it was sent
    assert str(denied.value) == (
        f"127.0.0.1: GET {http_server.url}/denied?q=x&API_KEY=***: 403 Forbidden: "
        "invalid key *** / ***"
    )
    assert str(down.value).startswith(f"127.0.0.1: GET {http_server.url}/down?token=***&page=2:")
    assert "HTTP Request" in caplog.text  # httpx's own log, masked
    for text in (str(denied.value), str(down.value), caplog.text):
        assert secret not in text and header_secret not in text


# --- exact waits: injected clock, sleep and rng ------------------------------------------


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


class Scripted:
    """A MockTransport answering from a list (the last answer repeats), noting start times."""

    def __init__(self, time: FakeTime, answers: list[httpx.Response | Handler]) -> None:
        self.time = time
        self.answers = answers
        self.starts: list[tuple[str, float]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers[min(len(self.starts), len(self.answers) - 1)]
        self.starts.append((request.url.host, self.time.now))
        return answer(request) if callable(answer) else answer


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def scripted_client(
    time: FakeTime,
    answers: list[httpx.Response | Handler],
    rng: Callable[[], float] = lambda: 0.5,
    **changes: Any,
) -> tuple[PoliteClient, Scripted]:
    script = Scripted(time, answers)
    settings = HttpSettings(**{"user_agent": user_agent(None), **changes})
    client = httpx.Client(transport=httpx.MockTransport(script))
    return PoliteClient(client, settings, sleep=time.sleep, clock=time.clock, rng=rng), script


def test_the_backoff_sequence_is_exponential_capped_and_jittered(fake_time: FakeTime) -> None:
    draws = iter([0.5, 1.0, 0.25, 1.0, 0.5])
    client, _ = scripted_client(
        fake_time,
        [httpx.Response(500)],
        rng=lambda: next(draws),
        attempts=6,
        backoff=2.0,
        backoff_max=10.0,
        default_interval=0.0,
    )

    with pytest.raises(FeedUnavailable, match=r"500 Internal Server Error after 6 attempts$"):
        client.get("https://api.example.org/x")

    # min(10, 2 * 2**(n-1)) = 2, 4, 8, 10, 10 after failures 1..5, times the rng draw
    assert fake_time.sleeps == [1.0, 4.0, 2.0, 10.0, 5.0]
    assert client.waited == 22.0
    assert client.requests_made == 6


def test_backoff_counts_toward_the_host_interval(fake_time: FakeTime) -> None:
    client, script = scripted_client(
        fake_time,
        [httpx.Response(503), httpx.Response(503), httpx.Response(200)],
        rng=lambda: 1.0,
        backoff=1.0,
        intervals={"export.arxiv.org": 3.0},
    )

    client.get("https://export.arxiv.org/api/query", {"id_list": "2501.00001"})

    # backoff 1 s, then 2 s more to reach the 3 s interval; backoff 2 s, then 1 s more
    assert fake_time.sleeps == [1.0, 2.0, 2.0, 1.0]
    assert [at for _, at in script.starts] == [1000.0, 1003.0, 1006.0]


def test_a_long_backoff_needs_no_interval_wait(fake_time: FakeTime) -> None:
    client, _ = scripted_client(
        fake_time, [httpx.Response(500), httpx.Response(200)], rng=lambda: 1.0, backoff=5.0
    )

    client.get("https://export.arxiv.org/api/query")

    assert fake_time.sleeps == [5.0]


def test_retry_after_in_seconds_replaces_the_backoff(fake_time: FakeTime) -> None:
    client, script = scripted_client(
        fake_time,
        [httpx.Response(503, headers={"Retry-After": "7"}), httpx.Response(200)],
        default_interval=1.0,
    )

    client.get("https://huggingface.co/api/daily_papers")

    assert fake_time.sleeps == [7.0]
    assert [at for _, at in script.starts] == [1000.0, 1007.0]


def test_retry_after_as_an_http_date(fake_time: FakeTime) -> None:
    server_now = dt.datetime(2026, 6, 18, 12, 0, 0, tzinfo=dt.UTC)
    headers = {
        "Date": email.utils.format_datetime(server_now, usegmt=True),
        "Retry-After": email.utils.format_datetime(
            server_now + dt.timedelta(seconds=42), usegmt=True
        ),
    }
    client, _ = scripted_client(
        fake_time, [httpx.Response(429, headers=headers), httpx.Response(200)], backoff=100.0
    )

    client.get("https://api.semanticscholar.org/graph/v1/paper/search", {"query": "x"})

    assert fake_time.sleeps == [42.0]


def test_a_retry_after_in_the_past_means_now(fake_time: FakeTime) -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    client, _ = scripted_client(
        fake_time,
        [httpx.Response(503, headers=headers), httpx.Response(200)],
        default_interval=0.0,
    )

    client.get("https://api.example.org/x")

    assert fake_time.sleeps == []


def test_a_retry_after_above_the_cap_is_not_slept(fake_time: FakeTime) -> None:
    client, script = scripted_client(
        fake_time, [httpx.Response(503, headers={"Retry-After": "3601"})], retry_after_max=3600.0
    )

    with pytest.raises(RateLimited) as caught:
        client.get("https://export.arxiv.org/api/query")

    assert fake_time.sleeps == []
    assert len(script.starts) == 1
    assert caught.value.status == 503
    assert caught.value.retry_after == 3601


def test_intervals_are_per_host_and_shared(fake_time: FakeTime) -> None:
    client, script = scripted_client(
        fake_time,
        [httpx.Response(200)],
        intervals={"export.arxiv.org": 3.0, "huggingface.co": 1.0},
        default_interval=0.5,
    )

    client.get("https://export.arxiv.org/a")
    client.get("https://huggingface.co/b")  # another host: no wait
    fake_time.sleep(1.0)  # time passes elsewhere; counts toward the interval
    client.get("https://export.arxiv.org:443/c")  # the port does not make another host
    client.get("https://example.org/d")
    client.get("https://example.org/e")

    assert fake_time.sleeps == [1.0, 2.0, 0.5]
    assert client.waited == 2.5  # only its own waits
    assert script.starts == [
        ("export.arxiv.org", 1000.0),
        ("huggingface.co", 1000.0),
        ("export.arxiv.org", 1003.0),
        ("example.org", 1003.0),
        ("example.org", 1003.5),
    ]


def test_a_parse_error_is_retried_with_backoff(fake_time: FakeTime) -> None:
    calls: list[int] = []

    def parse(response: httpx.Response) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise FormatError("feed", 3, "unexpected end of data")
        return response.text

    client, _ = scripted_client(
        fake_time, [httpx.Response(200, text="fine")], rng=lambda: 1.0, default_interval=0.0
    )

    assert client.fetch("https://rss.example.org/cs", None, parse) == "fine"
    assert fake_time.sleeps == [2.0, 4.0]


def test_other_parse_errors_are_not_retried(fake_time: FakeTime) -> None:
    def parse(response: httpx.Response) -> str:
        raise KeyError("a bug, not a broken body")

    client, script = scripted_client(fake_time, [httpx.Response(200)])

    with pytest.raises(KeyError):
        client.fetch("https://rss.example.org/cs", None, parse)
    assert len(script.starts) == 1


def test_transport_errors_are_retried(fake_time: FakeTime) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client, script = scripted_client(fake_time, [refuse, refuse, httpx.Response(200, text="up")])

    assert client.get("https://api.openalex.org/works").text == "up"
    assert len(script.starts) == 3


def test_a_connection_that_never_works(fake_time: FakeTime) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection\nrefused", request=request)

    client, _ = scripted_client(fake_time, [refuse], attempts=2)

    with pytest.raises(FeedUnavailable) as caught:
        client.get("https://api.openalex.org/works", {"filter": "x"}, source="openalex")
    assert str(caught.value) == (
        "openalex: GET https://api.openalex.org/works?filter=x: "
        "could not connect: [Errno 111] Connection refused (2 attempts)"
    )


def test_query_params_merge_with_the_url_query(fake_time: FakeTime) -> None:
    seen: list[str] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200)

    client, _ = scripted_client(fake_time, [echo])

    client.get("https://oaipmh.arxiv.org/oai?verb=ListRecords", {"set": "cs", "n": 3})

    assert seen == ["https://oaipmh.arxiv.org/oai?verb=ListRecords&set=cs&n=3"]


# --- helpers and settings ----------------------------------------------------------------


def test_user_agent() -> None:
    from paperradar import __version__

    assert user_agent("me@lab.org") == (
        f"paperradar/{__version__} (+https://github.com/paperradar/paperradar; mailto:me@lab.org)"
    )
    assert (
        user_agent(None) == f"paperradar/{__version__} (+https://github.com/paperradar/paperradar)"
    )


def test_safe_url_masks_secret_parameters() -> None:
    assert (
        safe_url("https://api.x.org/p?Key=abc&q=a b", {"token": "t0k", "limit": 2})
        == "https://api.x.org/p?Key=***&q=a+b&token=***&limit=2"
    )
    assert safe_url("https://api.x.org/p") == "https://api.x.org/p"


def test_open_client_is_configured() -> None:
    settings = HttpSettings(user_agent="paperradar/test", timeout=7.0)
    with open_client(settings) as client:
        assert client.headers["User-Agent"] == "paperradar/test"
        assert client.timeout.read == 7.0 and client.timeout.connect == 7.0
        assert client.follow_redirects is True


def write_config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")
    return home


def test_http_settings_defaults(tmp_path: Path) -> None:
    settings = http_settings(load_config(tmp_path))

    assert settings == HttpSettings(user_agent=user_agent(None))
    assert settings.intervals == DEFAULT_INTERVALS
    assert settings.intervals["export.arxiv.org"] == 3.0


def test_http_settings_read_config_toml(tmp_path: Path) -> None:
    home = write_config(
        tmp_path,
        """
[http]
contact = "me@lab.org"
timeout = 10
attempts = 3
backoff = 0.5
backoff_max = 30
retry_after_max = 120.0
default_interval = 2

[http.intervals]
"api.openalex.org" = 0.5
export.arxiv.org = 4      # unquoted: TOML nests it, the host is still understood
"My.Mirror.org" = 0
""",
    )

    settings = http_settings(load_config(home))

    assert settings.user_agent == user_agent("me@lab.org")
    assert (settings.timeout, settings.attempts, settings.backoff) == (10.0, 3, 0.5)
    assert (settings.backoff_max, settings.retry_after_max) == (30.0, 120.0)
    assert settings.default_interval == 2.0
    assert settings.intervals == {
        **DEFAULT_INTERVALS,
        "api.openalex.org": 0.5,
        "export.arxiv.org": 4.0,
        "my.mirror.org": 0.0,
    }


def test_http_settings_environment_overrides(tmp_path: Path, monkeypatch: Any) -> None:
    home = write_config(tmp_path, '[http]\ncontact = "file@lab.org"\nattempts = 3\n')
    monkeypatch.setenv("PAPERRADAR_HTTP_CONTACT", "env@lab.org")
    monkeypatch.setenv("PAPERRADAR_HTTP_ATTEMPTS", "7")
    monkeypatch.setenv("PAPERRADAR_HTTP_TIMEOUT", "2.5")
    monkeypatch.setenv("PAPERRADAR_HTTP_INTERVALS", "api.openalex.org=1, example.org=0.25")

    settings = http_settings(load_config(home))

    assert "mailto:env@lab.org" in settings.user_agent
    assert (settings.attempts, settings.timeout) == (7, 2.5)
    assert settings.intervals["api.openalex.org"] == 1.0
    assert settings.intervals["example.org"] == 0.25
    assert settings.intervals["export.arxiv.org"] == 3.0


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("[http]\ntimeout = 0", "[http] timeout"),
        ('[http]\ntimeout = "soon"', "[http] timeout"),
        ("[http]\nattempts = 0", "[http] attempts"),
        ("[http]\nattempts = 2.5", "[http] attempts"),
        ("[http]\nattempts = true", "[http] attempts"),
        ("[http]\nbackoff = -1", "[http] backoff"),
        ("[http]\nbackoff_max = nan", "[http] backoff_max"),
        ("[http]\nretry_after_max = [600]", "[http] retry_after_max"),
        ('[http]\ncontact = "not an address"', "[http] contact"),
        ("[http]\ncontact = 42", "[http] contact"),
        ('[http.intervals]\n"api.openalex.org" = -0.1', "[http.intervals] api.openalex.org"),
        ('[http.intervals]\n"api.openalex.org" = "fast"', "[http.intervals] api.openalex.org"),
        ('[http]\nintervals = "x"', "[http] intervals"),
        ("http = 3", "[http]"),
    ],
)
def test_http_settings_reject_bad_values(tmp_path: Path, toml: str, named: str) -> None:
    home = write_config(tmp_path, toml + "\n")

    with pytest.raises(ConfigError) as caught:
        http_settings(load_config(home))

    message = str(caught.value)
    assert named in message
    assert "\n" not in message
    assert message.startswith(str(home / "config.toml"))


def test_http_settings_name_the_bad_environment_variable(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PAPERRADAR_HTTP_BACKOFF", "fast")

    with pytest.raises(ConfigError, match=r"^PAPERRADAR_HTTP_BACKOFF: \[http\] backoff must be"):
        http_settings(load_config(tmp_path))
