"""The explanation where the web app shows it: the `why` macro of the paper cards, and a
recorded digest's explanation read back (old recordings, before phrases, included)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

import pytest
from jinja2 import Environment, PackageLoader, select_autoescape

from paperradar.models import Neighbour, Paper, Ranked, Why
from paperradar.web.routes.digests import _explanation

SCRIPT = "<script>alert(1)</script>"


def _why() -> Why:
    return Why(
        neighbours=[
            Neighbour(1, "arxiv:2401.00001", f"My own {SCRIPT} paper", 0.8312, "own"),
            Neighbour(2, "arxiv:2401.00002", "A liked paper", 0.7049, "liked"),
        ],
        terms=["loss", "size"],
        rule="follows keyword moe",
        phrases=["mixture of experts", f"CLIP {SCRIPT}"],
        sentences=["We mix experts."],
        percentile=3,
        among=412,
        closeness="strong",
    )


@pytest.fixture(scope="module")
def env() -> Environment:
    return Environment(  # as paperradar/web/deps.py makes it
        loader=PackageLoader("paperradar.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _macro(env: Environment, entry: Ranked) -> str:
    template = env.from_string('{% from "_paper_macros.html" import why %}{{ why(entry) }}')
    return template.render(entry=entry)


def test_macro_shows_place_titles_and_phrases_not_raw_numbers(env: Environment) -> None:
    parts = {"similarity": 0.61, "keywords": 0.2, "feedback": 0.0, "follow": 0.25}
    html = _macro(env, Ranked(Paper(title="x"), 1, 0.71234, _why(), parts))
    assert ">strong match: top 3% of 412 papers</span>" in html
    assert 'data-score="0.712"' in html and 'title="score 0.712 · similarity 0.61' in html
    assert 'your paper <a href="/papers/arxiv%3A2401.00001"' in html
    assert "«My own &lt;script&gt;alert(1)&lt;/script&gt; paper»" in html
    assert '«A liked paper»</a>, <span class="kind kind-liked">which you liked</span>' in html
    assert "shares <q>mixture of experts</q>, <q>CLIP &lt;script&gt;" in html
    assert SCRIPT not in html
    visible = re.sub(r'\s[\w-]+="[^"]*"', "", html)  # attributes (tooltips) left out
    assert not {"0.83", "0.70", "0.712", "0.61"} & set(re.findall(r"\d\.\d+", visible))
    assert "loss" not in html  # the raw shared terms are not shown


def test_macro_without_a_place_shows_the_score(env: Environment) -> None:
    html = _macro(env, Ranked(Paper(title="x"), 1, 0.5, Why(), {"similarity": 0.5}))
    assert ">score 0.500</span>" in html and "shares" not in html


def test_recorded_explanation_reads_new_and_old_recordings() -> None:
    parts = {"similarity": 0.61, "keywords": 0.2}
    lines, read_parts = _explanation(json.dumps({"why": asdict(_why()), "parts": parts}))
    assert lines[0] == "follows keyword moe · strong match: top 3% of 412 papers"
    assert lines[1].startswith(f"close to your paper «My own {SCRIPT} paper»")
    assert lines[2] == f"shares “mixture of experts”, “CLIP {SCRIPT}”"
    assert lines[3] == "“We mix experts.”"
    assert read_parts == parts
    # recorded before explanations had phrases and places: its terms, as shown then
    old = {
        "why": {
            "neighbours": [asdict(Neighbour(1, "arxiv:1", "Old paper", 0.7, "own"))],
            "terms": ["retrieval", "attention"],
            "rule": None,
        },
        "parts": {"similarity": 0.7},
    }
    lines, _ = _explanation(json.dumps(old))
    assert lines == ["close to your paper «Old paper»", "shares “retrieval”, “attention”"]
    assert _explanation("not json") == ([], {})
    assert _explanation(json.dumps({"why": {"percentile": "x"}})) == ([], {})
