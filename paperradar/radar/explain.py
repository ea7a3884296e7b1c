"""Explanations a reader can use: shared phrases, the best-matching sentences, closeness.

Pure functions over texts (no store): the ranking hands them the candidate, the profile's
papers and a background of documents (up to :data:`BACKGROUND_MAX` of the window's
candidates). docs/ranking.md ("Explanations") says the same for readers.

**Phrases** (:func:`phrases`) are runs of 1-4 words of a title or abstract bounded by
punctuation and function words (a single "of" may join two words: "mixture of experts").
Each phrase has a key that ignores case, plurals, hyphens and spaces ("Pre-training",
"pretraining" and "pre-trainings" are one key; so are "chain-of-thought" and "chain of
thought"), except that an
acronym -- a word with two upper-case letters or one past its first letter ("CLIP", "LoRA",
"MoE", "LLMs") -- keeps its case, so "CLIP" the model never matches video "clips".

**Shown** (:class:`PhraseRule`): a phrase the candidate shares with the profile's papers is
shown when

- it has two or more words, at least one of them not generic (:data:`GENERIC`: "approach",
  "results", "simple", "size", "loss", "answer", "learning", "model", ...; the stop words;
  adverbs in -ly; :data:`GENERIC_ACRONYMS` such as "GPU"), it neither begins nor ends with
  an adverb nor ends with a noun that adds nothing (:data:`TRAILING`: "tasks", "method",
  "framework", ...), and it is in at most ``phrase_share`` (5%) of the background
  documents ("continual learning" yes, "large language models" no); or
- it is one word, not generic, in at most ``word_share`` (2%) of the background documents,
  and either an acronym (matched case-sensitively: "CLIP", "VQA") or a word of at least
  ``word_min`` (5) letters that is one of the profile's distinctive terms (terms.py);

rarity is judged only with at least ``min_docs`` (100) background documents: with fewer, a
phrase is judged by the words rule alone and one word is shown only if it is an acronym.
A shown phrase inside a longer shown one is left out. Phrases of two or more words come
first, then single words; the rarest (highest IDF) first within each. A hyphenated compound
is one word ("pre-trained") unless it has three parts ("chain-of-thought").

**Sentences** (:func:`best_sentences`): the abstract's sentences scored by the shown phrases
they contain (each its IDF) plus the profile's distinctive terms they contain (each its
weight in the profile's TF-IDF vector, terms.py); the best one, and the second best when it
scores at least 60% of the best, in the abstract's order. Lexical, so it costs well under a
millisecond per paper; embedding every sentence would cost a model call per sentence.

**Closeness** (:func:`closeness`): the paper's place among the candidates ranked, as a
percentage ("top 3%"), and a word: strong (top 5%), medium (top 20%), weak (the rest).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from paperradar.radar.terms import STOPWORDS, fold, tokens

#: academic words that explain nothing on their own, nor at the edge of a phrase
_GENERIC_TEXT = """
    ability able absence accuracy accurate achieved achieving action actual adaptive addition
    additional address addresses addressing advance advanced advances advantage aim aims allow
    allows alternative amount analyse analysis analyze answer answers application applications
    applied apply applying area areas art aspect aspects assess assessment assumption attempt
    average baseline baselines basic behavior behaviour benchmark benchmarks benefit benefits
    best better beyond broad capability capabilities capture captures case cases challenge
    challenges challenging change changes characteristic choice claim class classes clear close
    common comparable comparison complete complex component components comprehensive concept
    condition conditions consider considered consistent consistently construct context
    contrast contribution contributions control core correct cost costs critical current
    currently data dataset datasets decision deep degree demonstrated depend design designed
    detailed develop developed development difference differences difficult dimension direct
    directly discuss distinct domain domains driven due easy effect effective effectively
    effects efficiency efficient effort empirical empirically enable enables end enhance
    enhanced enhancing ensure entire environment environments error errors essential establish
    evaluate evaluated evaluating evaluation evidence example examples exhibit expensive explore
    explored exploring extend extended extension extent external fact factor factors failure
    fast feature features field findings fine focus focused form format framework frameworks
    full fully function functions fundamental future gain gains general generally generate
    generated given goal good great ground help high higher highly human idea identify impact
    improve improved improvement improvements improves improving include includes including
    increase increasing independent information input inputs insight insights instance
    instead interest issue issues kind knowledge lack large larger latter layer leading learn
    learned learning level levels limit limitation limitations limited line literature little
    long loss losses low lower main major make makes making manner measure measures mechanism
    mechanisms metric metrics minimal mode model models modern module multiple natural nature
    necessary need needs network networks number numerous objective observe observed obtain
    obtained open optimal order original outcome outcomes output outputs overall pair part
    particular particularly pattern patterns perform performance performing phase point
    policy popular possible potential power powerful practical practice prediction predictions
    present previous primary principle prior problem problems procedure process processes
    produce progress promising property properties provided quality question questions range
    rate rates real reason reasoning recently reduce reduced reducing related relative relevant
    reliable remain remains report represent representation representations require required
    requires research researchers robust robustness role rule rules scale scenario scenarios
    scheme scratch second select set setting settings show significant similar simple single
    size small solution solutions solve source space specific speed stage standard step steps
    strategies strategy strength strong stronger structure structures study style subset
    substantial success successful suggest superior support system systems target technique
    techniques term terms test testing text theory time times tool tools total train trained
    training true type types typically understanding unified unique usage useful value values
    unclear variety version view way ways weak wide widely world
"""
GENERIC = frozenset(_GENERIC_TEXT.split()) | frozenset(fold(w) for w in _GENERIC_TEXT.split())

#: acronyms too common to explain anything (keys, see :func:`word_key`)
GENERIC_ACRONYMS = frozenset(
    [
        "AI",
        "API",
        "CPU",
        "GPU",
        "TPU",
        "ML",
        "NLP",
        "CV",
        "SOTA",
        "URL",
        "PDF",
        "LLM",
        "LM",
        "FLOP",
        "FLOPS",
        "RAM",
        "OOD",
        "IID",
    ]
)

#: nouns that add nothing at the end of a phrase ("classification tasks": the phrase is
#: "classification")
TRAILING = frozenset(
    fold(w)
    for w in """task method problem setting framework approach technique strategy result
    experiment performance capability ability process pipeline paradigm scenario""".split()  # noqa: SIM905
)

#: words that end a phrase: English function words and the academic stop words of terms.py,
#: less a few nouns that begin real phrases ("code generation", "task arithmetic")
_BOUNDARY = (STOPWORDS | frozenset({"i", "he", "his", "her", "been", "it's", "let"})) - frozenset(
    {"code", "task", "tasks", "method", "methods", "experiment", "experiments", "key", "of"}
)

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'“\[])")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "cf.", "Fig.", "Eq.", "Sec.", "approx.")


@lru_cache(maxsize=65536)
def is_acronym(word: str) -> bool:
    """Whether a word reads as an acronym or a name: two upper-case letters, or one past its
    first letter ("CLIP", "LoRA", "MoE", "GPT-4"); "Clips" and "Pre-Training" are not."""
    return any(_part_is_acronym(p) for p in re.split(r"[-'’]", word))


def _part_is_acronym(part: str) -> bool:
    if not part[:1].isalpha():
        return False
    upper = sum(c.isupper() for c in part)
    return upper >= 2 or (upper == 1 and not part[0].isupper())


def word_key(word: str) -> str:
    """A word's key: acronyms upper-cased with a plural "s" dropped ("LLMs" -> "LLM"); other
    words lower-cased, hyphens and apostrophes dropped, plurals folded."""
    parts = [p for p in re.split(r"[-'’]", word) if p]
    out = []
    for part in parts:
        if _part_is_acronym(part):
            if part.endswith("s") and sum(c.isupper() for c in part[:-1]) >= 2:
                part = part[:-1]
            out.append(part.upper())
        else:
            out.append(fold(part.lower()))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase of a text: its key, its words as written, and how many words it has."""

    key: str
    text: str
    words: int


#: word as written -> its key, or "" for a boundary ("of" -> "of"); cleared past _WORDS_MAX
_WORDS: dict[str, str] = {}
_WORDS_MAX = 500_000


def _key_of(token: str) -> str:
    key = _WORDS.get(token)
    if key is None:
        low = token.lower()
        if not token[0].isalnum() or len(token) < 2 or token.isdigit():
            key = ""
        elif low == "of":
            key = "of"
        elif low in _BOUNDARY:
            key = ""
        else:
            key = word_key(token)
        if len(_WORDS) >= _WORDS_MAX:
            _WORDS.clear()
        _WORDS[token] = key
    return key


def _chunks(text: str) -> list[list[tuple[str, str]]]:
    """Runs of (word, key) between punctuation and function words ("of" kept)."""
    out: list[list[tuple[str, str]]] = []
    run: list[tuple[str, str]] = []
    known = _WORDS.get
    for token in _TOKEN.findall(text):
        key = known(token)
        if key is None:
            key = _key_of(token)
        if key:
            run.append((token, key))
        elif run:
            out.append(run)
            run = []
    if run:
        out.append(run)
    return out


_SEPARATOR = re.compile("\x00\x00+")


def _key_runs(text: str) -> list[list[str]]:
    """The keys of :func:`_chunks`, without the words (all that counting phrases needs)."""
    found = _TOKEN.findall(text)
    known = list(map(_WORDS.get, found))
    keys = (
        [k if k is not None else _key_of(t) for k, t in zip(known, found, strict=True)]
        if None in known
        else cast(list[str], known)
    )
    joined = "\x00".join(keys).strip("\x00")  # a boundary's key is ""
    return [run.split("\x00") for run in _SEPARATOR.split(joined) if run]


def _spans(
    keys: list[str], prefixes: Container[str] | None = None, longest: int = 4
) -> Iterator[tuple[int, int, str]]:
    """(start, end, key) of the runs of 1 to ``longest`` words of a chunk's keys that
    neither begin nor end with "of" nor hold two of them; with ``prefixes``, a run is not
    extended once its key is not one of them (keeps only what a profile can share)."""
    n = len(keys)
    for i in range(n):
        if keys[i] == "of":
            continue
        key = ""
        ofs = 0
        for j in range(i, min(i + longest, n)):
            word = keys[j]
            key += word
            if prefixes is not None and key not in prefixes:
                break
            if word == "of":
                ofs += 1
                if ofs > 1:
                    break
                continue
            yield i, j + 1, key


def phrases(
    text: str, wanted: Container[str] | None = None, prefixes: Container[str] | None = None
) -> dict[str, Phrase]:
    """The phrases of a text by key (the first occurrence of each): runs of 1 to 4 words
    within a chunk, not beginning or ending with "of"; only the ``wanted`` keys, if given
    (and ``prefixes``, the keys' prefixes, make finding them faster)."""
    out: dict[str, Phrase] = {}
    for run in _chunks(text):
        for i, j, key in _spans([k for _, k in run], prefixes):
            if key not in out and (wanted is None or key in wanted):
                shown = " ".join(w if is_acronym(w) else w.lower() for w, _ in run[i:j])
                out[key] = Phrase(key, shown, _count_words(shown))
    return out


def _count_words(text: str) -> int:
    """Words of a phrase ("of" not counted); a hyphenated compound is one word, unless it
    has three parts or more ("chain-of-thought", "mixture-of-experts": its parts)."""
    count = 0
    for word in text.split():
        parts = [p for p in word.split("-") if p]
        if len(parts) >= 3:
            count += sum(p.lower() != "of" for p in parts)
        elif word.lower() != "of":
            count += 1
    return count


def phrase_keys(text: str, prefixes: Container[str] | None = None) -> set[str]:
    """The keys of a text's phrases (see :func:`phrases`); with ``prefixes``, only those
    whose every prefix is one of them."""
    return {key for keys in _key_runs(text) for _, _, key in _spans(keys, prefixes)}


class ProfilePhrases:
    """The phrase keys of a profile's papers, and their prefixes ("mixtureof"), which let a
    text be searched for them alone."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.keys: set[str] = set()
        self.prefixes: set[str] = set()
        for text in texts:
            self.keys.update(phrase_keys(text))
        # every prefix, so "Mixture of Experts" is found where the profile wrote
        # "mixture-of-experts" (one word, one key) and the other way round
        self.prefixes = {key[:n] for key in self.keys for n in range(1, len(key) + 1)}


def profile_keys_in(text: str, profile: ProfilePhrases) -> set[str]:
    """The profile's phrase keys among the text's phrases: ``phrase_keys(text,
    profile.prefixes) & profile.keys``, in one loop (:func:`_spans` inlined; counting a
    background's phrases is most of what building an :class:`Explainer` costs)."""
    keys, prefixes = profile.keys, profile.prefixes
    found: set[str] = set()
    for run in _key_runs(text):
        n = len(run)
        for i in range(n):
            if run[i] == "of":
                continue
            key = ""
            ofs = 0
            for j in range(i, min(i + 4, n)):
                word = run[j]
                key += word
                if key not in prefixes:
                    break
                if word == "of":
                    ofs += 1
                    if ofs > 1:
                        break
                    continue
                if key in keys:
                    found.add(key)
    return found


class PhraseBackground:
    """Document frequencies of a profile's phrase keys over background texts."""

    def __init__(self, texts: Iterable[str], profile: ProfilePhrases) -> None:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            n += 1
            df.update(profile_keys_in(text, profile))
        self.df = df
        self.n_docs = n

    def share(self, key: str) -> float:
        return self.df[key] / self.n_docs if self.n_docs else 0.0

    def idf(self, key: str) -> float:
        return math.log((self.n_docs + 1) / (self.df[key] + 1)) + 1.0


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """When a shared phrase is shown (the module doc has the rule in words)."""

    phrase_share: float = 0.05
    word_share: float = 0.02
    word_min: int = 5
    min_docs: int = 100

    def shown(
        self, phrase: Phrase, background: PhraseBackground, distinctive: Container[str] = ()
    ) -> bool:
        """Whether to show a shared phrase; ``distinctive`` are the profile's distinctive
        terms (terms.py), which a lower-case single word must be one of."""
        words = phrase.text.split()
        judged = background.n_docs >= self.min_docs
        share = background.share(phrase.key)
        if phrase.words >= 2:
            content = [w for w in words if w.lower() != "of"]
            if all(_generic(w) for w in content) or _adverb(words[0]) or _adverb(words[-1]):
                return False
            if fold(words[-1].lower()) in TRAILING:
                return False
            return not judged or share <= self.phrase_share
        word = words[0]
        if _generic(word):
            return False
        if is_acronym(word):
            return not judged or share <= self.word_share
        return (
            judged
            and share <= self.word_share
            and len(word) >= self.word_min
            and tokens(word) == [fold(word.lower())]
            and fold(word.lower()) in distinctive
        )


@lru_cache(maxsize=65536)
def _generic(word: str) -> bool:
    """Generic: on :data:`GENERIC` or the stop words, an adverb in -ly, or a generic
    acronym (:data:`GENERIC_ACRONYMS`)."""
    if is_acronym(word):
        return word_key(word) in GENERIC_ACRONYMS
    low = word.lower()
    return low in GENERIC or low in STOPWORDS or fold(low) in GENERIC or _adverb(word)


def _adverb(word: str) -> bool:
    low = word.lower()
    return low.endswith("ly") and len(low) > 4 and not is_acronym(word)


def shared_phrases(
    candidate: Mapping[str, Phrase],
    profile: set[str],
    background: PhraseBackground,
    rule: PhraseRule | None = None,
    limit: int = 4,
    distinctive: Container[str] = (),
) -> list[Phrase]:
    """The candidate's phrases the profile shares and the rule shows, rarest first, a phrase
    inside a longer shown one left out."""
    rule = rule or PhraseRule()
    found = [
        p for k, p in candidate.items() if k in profile and rule.shown(p, background, distinctive)
    ]
    found.sort(key=lambda p: (p.words < 2, -background.idf(p.key), -p.words, p.text))
    kept: list[Phrase] = []
    for p in sorted(found, key=lambda p: -p.words):
        if not any(p.key in q.key for q in kept):
            kept.append(p)
    keep = {p.key for p in kept}
    return [p for p in found if p.key in keep][:limit]


def split_sentences(text: str) -> list[str]:
    """The sentences of an abstract (whitespace collapsed); "e.g." and "et al." end none."""
    text = " ".join(text.split())
    if not text:
        return []
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and out[-1].endswith(_ABBREVIATIONS):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


def best_sentences(
    abstract: str,
    shown: Sequence[Phrase],
    term_weights: Mapping[str, float],
    background: PhraseBackground,
    most: int = 2,
    second: float = 0.6,
) -> list[str]:
    """The abstract's one or two sentences that match the profile best (module doc)."""
    sentences = split_sentences(abstract)
    keys = [phrase_keys(sentence) for sentence in sentences]
    return _pick_sentences(sentences, keys, shown, term_weights, background, most, second)


def _pick_sentences(
    sentences: Sequence[str],
    keys: Sequence[Container[str]],
    shown: Sequence[Phrase],
    term_weights: Mapping[str, float],
    background: PhraseBackground,
    most: int = 2,
    second: float = 0.6,
) -> list[str]:
    """:func:`best_sentences` given each sentence's phrase keys."""
    if len(sentences) < 2:
        return []
    scores = []
    for sentence, found in zip(sentences, keys, strict=True):
        score = sum(background.idf(p.key) for p in shown if p.key in found)
        score += sum(term_weights.get(t, 0.0) for t in set(tokens(sentence)))
        scores.append(score)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    best = scores[order[0]]
    if best <= 0:
        return []
    picked = [order[0]] + [i for i in order[1:most] if scores[i] >= second * best]
    return [sentences[i] for i in sorted(picked)]


def highlighted_abstract(abstract: str, sentences: Sequence[str]) -> list[tuple[str, bool]]:
    """The abstract (whitespace collapsed) as segments ``(text, highlighted)``, the given
    sentences highlighted; plain text for a template to escape and wrap in ``<mark>``."""
    text = " ".join(abstract.split())
    spans = []
    for sentence in sentences:
        wanted = " ".join(sentence.split())
        start = text.find(wanted) if wanted else -1
        if start >= 0:
            spans.append((start, start + len(wanted)))
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        if start < at:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


#: closeness words by the paper's place among the candidates (top percentage, at most)
CLOSENESS = (("strong", 5), ("medium", 20))


def percentile(place: int, among: int) -> int:
    """The paper's place (1 = best) as "top N%" of ``among`` candidates, N from 1 to 100."""
    if among <= 0:
        return 100
    return max(1, min(100, math.ceil(100 * place / among)))


def closeness(top_percent: int) -> str:
    """strong (top 5%), medium (top 20%) or weak."""
    for word, bound in CLOSENESS:
        if top_percent <= bound:
            return word
    return "weak"


#: the most background texts whose phrases are counted (evenly spaced over the candidates)
BACKGROUND_MAX = 300


def sample(texts: Sequence[str], most: int = BACKGROUND_MAX) -> list[str]:
    """Up to ``most`` of the texts, evenly spaced (all of them when there are fewer)."""
    if len(texts) <= most:
        return list(texts)
    step = len(texts) / most
    return [texts[int(i * step)] for i in range(most)]


class Explainer:
    """Explains candidates for one profile: its papers' phrases, a background's document
    frequencies, the profile's term weights (terms.TermProfile.vector)."""

    def __init__(
        self,
        profile_texts: Iterable[str],
        background_texts: Sequence[str],
        term_weights: Mapping[str, float],
        rule: PhraseRule | None = None,
    ) -> None:
        self.profile = ProfilePhrases(profile_texts)
        self.background = PhraseBackground(sample(background_texts), self.profile)
        self.term_weights = term_weights
        self.rule = rule or PhraseRule()

    def explain(self, title: str, abstract: str, limit: int = 4) -> tuple[list[Phrase], list[str]]:
        """The shown phrases a candidate shares with the profile and the sentences of its
        abstract that match the profile best (module doc), in one pass over its text."""
        keys, prefixes = self.profile.keys, self.profile.prefixes
        found = phrases(title, keys, prefixes)
        sentences = split_sentences(abstract)
        per_sentence = []
        for sentence in sentences:
            here = phrases(sentence, keys, prefixes)
            per_sentence.append(here)
            for key, phrase in here.items():
                found.setdefault(key, phrase)
        shown = shared_phrases(found, keys, self.background, self.rule, limit, self.term_weights)
        best = _pick_sentences(sentences, per_sentence, shown, self.term_weights, self.background)
        return shown, best

    def phrases(self, title: str, abstract: str, limit: int = 4) -> list[Phrase]:
        """The shown phrases a candidate shares with the profile (module doc)."""
        return self.explain(title, abstract, limit)[0]
