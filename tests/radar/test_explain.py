"""Explanations: phrase extraction and keys, the shown-phrase rule, CLIP against clips, the
best sentences, highlighting, places and closeness words (paperradar/radar/explain.py), and
the same through a Scorer on real texts."""

from __future__ import annotations

import numpy as np

from paperradar.radar.explain import (
    Explainer,
    Phrase,
    PhraseBackground,
    PhraseRule,
    ProfilePhrases,
    best_sentences,
    closeness,
    highlighted_abstract,
    is_acronym,
    percentile,
    phrase_keys,
    phrases,
    shared_phrases,
    split_sentences,
    word_key,
)
from paperradar.radar.ranking import Anchor, Scorer, Text

PROFILE = [
    "Continual pre-training of large language models with a mixture of experts. We study "
    "continual pretraining and catastrophic forgetting; CLIP features and LoRA adapters help.",
    "Chain-of-thought prompting for math word problems. Our simple approach reduces the loss "
    "and the size of the answer.",
]

#: background filler: common words in every document, so only rare things are rare
FILLER = "We propose a simple approach with large language models and show results on data."


def _background(n: int, extra: dict[str, int] | None = None) -> list[str]:
    """``n`` filler documents; ``extra`` puts a text into the first k of them."""
    docs = [FILLER] * n
    for text, k in (extra or {}).items():
        for i in range(k):
            docs[i] = docs[i] + " " + text
    return docs


def _shared(candidate: str, background: list[str], rule: PhraseRule | None = None) -> list[str]:
    explainer = Explainer(PROFILE, background, {"forgetting": 0.3, "continual": 0.2}, rule)
    return [p.text for p in explainer.phrases("", candidate, limit=10)]


# --------------------------------------------------------------------------- phrases and keys


def test_phrases_are_stopword_bounded_runs_with_one_inner_of() -> None:
    found = phrases("We use a Mixture of Experts of the model, then chain of thought.")
    texts = {p.text for p in found.values()}
    assert {"mixture of experts", "mixture", "experts", "chain of thought"} <= texts
    assert not any(t.startswith("of") or t.endswith("of") for t in texts)
    assert "experts of" not in texts and "use" not in texts  # "use" is a stop word
    assert found[word_key("Mixture") + "of" + word_key("Experts")].words == 2


def test_keys_ignore_case_plurals_and_hyphens() -> None:
    assert phrase_keys("pre-training") == phrase_keys("Pretraining") == phrase_keys("pretrainings")
    assert "chainofthought" in phrase_keys("chain-of-thought") & phrase_keys("chain of thought")
    assert word_key("LLMs") == word_key("LLM") == "LLM"
    assert "continualpretraining" in phrase_keys("Continual Pre-Training")


def test_hyphens_and_spaces_match_either_way() -> None:
    profile = ["We train a mixture-of-experts with chain of thought and pre-training."]
    explainer = Explainer(profile, _background(300), {})
    shown = explainer.phrases("", "A Mixture of Experts and chain-of-thought prompting.")
    assert sorted((p.text, p.words) for p in shown) == [
        ("chain-of-thought", 2),
        ("mixture of experts", 2),
    ]
    assert explainer.phrases("", "Pretraining only.") == []  # one word, not distinctive


def test_acronyms_keep_their_case_so_clip_is_not_clips() -> None:
    assert is_acronym("CLIP") and is_acronym("LoRA") and is_acronym("MoE")
    assert not is_acronym("Clips") and not is_acronym("Pre-Training") and not is_acronym("7B")
    assert word_key("CLIP") != word_key("clips") == word_key("Clip")
    candidate = "We cut long videos into short clips and caption each clip."
    assert "CLIP" not in _shared(candidate, _background(300))
    assert "CLIP" in _shared("Zero-shot retrieval with CLIP embeddings.", _background(300))


def test_shared_phrases_are_multi_word_terms_not_generic_words() -> None:
    candidate = (
        "A simple approach to continual pre-training with a mixture of experts: the loss, "
        "the size and the answer improve."
    )
    shown = _shared(candidate, _background(300))
    assert "continual pre-training" in shown and "mixture of experts" in shown
    assert not {"simple", "approach", "loss", "size", "answer", "simple approach"} & set(shown)
    assert "pre-training" not in shown  # inside the longer shown phrase


def test_common_phrases_are_not_shown() -> None:
    candidate = "Continual pre-training with a mixture of experts."
    common = _background(300, {"mixture of experts": 60})  # in 20% of the documents
    shown = _shared(candidate, common)
    assert "mixture of experts" not in shown and "continual pre-training" in shown


def test_single_words_need_rarity_and_to_be_distinctive_or_an_acronym() -> None:
    candidate = "Forgetting hurts; LoRA helps; an orthogonal trick too."
    assert {"forgetting", "LoRA"} <= set(_shared(candidate, _background(300)))
    many = _background(300, {"forgetting": 30})  # 10% of the documents
    assert "forgetting" not in _shared(candidate, many)
    # too few documents to judge rarity: only acronyms stand alone
    assert _shared(candidate, _background(20)) == ["LoRA"]


def test_rule_directly() -> None:
    bg = PhraseBackground(_background(200), ProfilePhrases(PROFILE))
    rule = PhraseRule()
    assert rule.shown(Phrase("x", "continual learning", 2), bg)
    assert not rule.shown(Phrase("y", "simple approach", 2), bg)  # all generic
    assert not rule.shown(Phrase("z", "classification tasks", 2), bg)  # a trailing "tasks"
    assert not rule.shown(Phrase("w", "highly effective", 2), bg)  # an adverb at an edge
    assert not rule.shown(Phrase("GPU", "GPU", 1), bg)  # a generic acronym
    assert not rule.shown(Phrase("scratch", "scratch", 1), bg, {"scratch"})  # generic


def test_rarest_first_and_limit() -> None:
    profile = ProfilePhrases(["graph neural networks and message passing and molecular graphs"])
    bg = PhraseBackground(_background(300, {"graph neural networks": 10}), profile)
    found = phrases("Message passing for molecular graphs with graph neural networks.")
    shown = shared_phrases(found, profile.keys, bg, limit=2)
    assert [p.text for p in shown][:2] == ["message passing", "molecular graphs"]


# --------------------------------------------------------------------------- sentences


def test_split_sentences_keeps_abbreviations() -> None:
    text = "We study X, e.g. on math. Results hold (see Fig. 2). Et al. is kept? Yes."
    assert split_sentences(text) == [
        "We study X, e.g. on math.",
        "Results hold (see Fig. 2).",
        "Et al. is kept?",
        "Yes.",
    ]


def test_best_sentences_match_the_profile_in_abstract_order() -> None:
    abstract = (
        "Video understanding is hard. We add continual pre-training with a mixture of experts. "
        "Benchmarks are reported in the appendix. Forgetting drops by half."
    )
    profile = ProfilePhrases(PROFILE)
    bg = PhraseBackground(_background(300), profile)
    shown = shared_phrases(phrases(abstract, profile.keys), profile.keys, bg)
    picked = best_sentences(abstract, shown, {"forgetting": 10.0}, bg)
    assert picked == [
        "We add continual pre-training with a mixture of experts.",
        "Forgetting drops by half.",
    ]
    assert best_sentences(abstract, [], {}, bg) == []  # nothing matches: nothing marked
    assert best_sentences("One sentence only.", shown, {"one": 1.0}, bg) == []


def test_highlighted_abstract_segments() -> None:
    abstract = "First  sentence.\nSecond one here. Third."
    segments = highlighted_abstract(abstract, ["Second one here."])
    assert segments == [("First sentence. ", False), ("Second one here.", True), (" Third.", False)]
    assert highlighted_abstract(abstract, ["not there"]) == [(" ".join(abstract.split()), False)]
    assert highlighted_abstract("", ["x"]) == []


# --------------------------------------------------------------------------- places


def test_percentile_and_closeness_words() -> None:
    assert percentile(1, 412) == 1 and percentile(12, 412) == 3 and percentile(412, 412) == 100
    assert percentile(1, 0) == 100
    assert [closeness(p) for p in (1, 5, 6, 20, 21, 100)] == [
        "strong",
        "strong",
        "medium",
        "medium",
        "weak",
        "weak",
    ]


# --------------------------------------------------------------------------- through the Scorer


def test_scorer_explains_with_phrases_sentences_and_place() -> None:
    rng = np.random.default_rng(0)
    anchors = [Anchor(1, "arxiv:1", "Continual pre-training with experts", "own")]
    vector = rng.normal(size=(1, 8)).astype(np.float32)
    vector /= np.linalg.norm(vector)
    scorer = Scorer(anchors, vector, PROFILE[:1])
    texts = [
        Text(
            "Mixture of experts for continual pre-training",
            "Long videos are cut into clips. We revisit continual pre-training with a mixture "
            "of experts and measure catastrophic forgetting. Code is public.",
        )
    ] + [Text(f"Other paper {i}", FILLER) for i in range(199)]
    vectors = rng.normal(size=(200, 8)).astype(np.float32)
    vectors[0] = vector[0]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scored = scorer.score(vectors, texts)
    why = scorer.why(scored, 0)
    assert why.percentile == 1 and why.among == 200 and why.closeness == "strong"
    assert "mixture of experts" in why.phrases and "continual pre-training" in why.phrases
    assert why.sentences == [
        "We revisit continual pre-training with a mixture of experts and measure catastrophic "
        "forgetting."
    ]
    assert why.summary().startswith("strong match: top 1% of 200 papers · close to your paper «")
    last = scorer.why(scored, int(np.argmin(scored.score)))
    assert last.percentile == 100 and last.closeness == "weak"
    light = scorer.why(scored, 0, phrases=False)  # what rank(explain=...) gives the others
    assert light.phrases == [] and light.sentences == [] and light.percentile == 1
    assert light.neighbours == why.neighbours
