"""LaTeX markup as BibTeX exports carry it, turned into plain Unicode text.

Covers what Zotero, Google Scholar, arXiv, DBLP and Semantic Scholar put in titles, names and
abstracts: accents in every spelling (``\\'e``, ``\\"{o}``, ``{\\"u}``, ``\\v{c}``, ``\\c c``),
the special letters (``\\aa``, ``\\o``, ``\\ss``, ``\\l``, ``\\i`` ...), escaped specials
(``\\&``, ``\\%``, ``\\_``), Zotero's ``{\\textless}``-style escapes, ``--``/``---`` dashes,
``~`` (a plain space here), math dollars, font commands (``\\emph{x}`` -> ``x``) and the
case-protecting braces (``{BERT}`` -> ``BERT``). An unknown command keeps its name without
the backslash (``$O(n \\log n)$`` -> ``O(n log n)``) rather than losing text.
"""

from __future__ import annotations

import re
import unicodedata

#: Accent commands -> combining character (applied to the first character of the argument).
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
}
#: What an accent with an empty argument (``\\~{}``) stands for.
_BARE_ACCENTS = {"~": "~", "^": "^", "'": "'", "`": "`", '"': '"', "=": "=", ".": "."}

#: Control words that stand for a letter; TeX swallows the spaces after them (``\\o rn``).
_LETTERS = {
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "ss": "ß",
    "SS": "SS",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
}

_GREEK = dict(
    zip(
        [
            "alpha",
            "beta",
            "gamma",
            "delta",
            "epsilon",
            "zeta",
            "eta",
            "theta",
            "iota",
            "kappa",
            "lambda",
            "mu",
            "nu",
            "xi",
            "pi",
            "rho",
            "sigma",
            "tau",
            "upsilon",
            "phi",
            "chi",
            "psi",
            "omega",
        ],
        "αβγδεζηθικλμνξπρστυφχψω",
        strict=True,
    )
)

#: Control words that stand for a symbol or a word.
_SYMBOLS = {
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquotesingle": "'",
    "textquotedbl": '"',
    "textless": "<",
    "textgreater": ">",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbar": "|",
    "textunderscore": "_",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textdollar": "$",
    "textbullet": "•",
    "textdegree": "°",
    "texttrademark": "™",
    "textregistered": "®",
    "textcopyright": "©",
    "copyright": "©",
    "textsection": "§",
    "S": "§",
    "P": "¶",
    "dag": "†",
    "ddag": "‡",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "cdots": "⋯",
    "times": "×",
    "pm": "±",
    "cdot": "·",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "infty": "∞",
    "rightarrow": "→",
    "to": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "ell": "ℓ",
    "partial": "∂",
    "sqrt": "√",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "in": "∈",
    "euro": "€",
    "texteuro": "€",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "BibTeX": "BibTeX",
    "quad": " ",
    "qquad": " ",
    "par": " ",
    "newline": " ",
    "linebreak": " ",
    "relax": "",
    "protect": "",
    "noopsort": "",
}
_SYMBOLS.update(_GREEK)
_SYMBOLS.update(
    {
        "Gamma": "Γ",
        "Delta": "Δ",
        "Theta": "Θ",
        "Lambda": "Λ",
        "Xi": "Ξ",
        "Pi": "Π",
        "Sigma": "Σ",
        "Phi": "Φ",
        "Psi": "Ψ",
        "Omega": "Ω",
        "varepsilon": "ε",
        "vartheta": "ϑ",
        "varphi": "φ",
    }
)

#: Font and wrapper commands: dropped, their braced argument is kept.
_WRAPPERS = frozenset(
    [
        "emph",
        "textit",
        "textbf",
        "textsc",
        "texttt",
        "textrm",
        "textsf",
        "textup",
        "textsl",
        "textnormal",
        "text",
        "mbox",
        "mathrm",
        "mathbf",
        "mathit",
        "mathcal",
        "mathbb",
        "mathsf",
        "mathtt",
        "mathnormal",
        "operatorname",
        "url",
        "uppercase",
        "lowercase",
        "MakeUppercase",
        "MakeLowercase",
        "ensuremath",
        "bm",
        "boldsymbol",
        "it",
        "bf",
        "sc",
        "tt",
        "rm",
        "em",
        "sf",
        "sl",
    ]
)
#: Control symbols (backslash + one non-letter) that stand for a character.
_ESCAPES = {
    "&": "&",
    "%": "%",
    "_": "_",
    "$": "$",
    "#": "#",
    "{": "{",
    "}": "}",
    " ": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "-": "",
    "/": "",
    "\\": " ",
    "@": "",
}


_SPECIAL = re.compile(r"[\\{}$~\-`']")
#: What needs more than dropping: commands, ties, dashes and typographic quotes.
_STEP = re.compile(r"[\\~]|--|``|''")
#: Dropped from plain text: group braces and math dollars.
_DROP = str.maketrans("", "", "{}$")
_BRACES = re.compile(r"[{}]")
#: Accents nested deeper than this keep their argument but lose the accent (no recursion
#: without bound on hostile input).
MAX_ACCENT_DEPTH = 32


def latex_to_text(value: str) -> str:
    """Plain Unicode text for a BibTeX field value (braces and markup removed)."""
    if not _SPECIAL.search(value):
        return value
    return unicodedata.normalize("NFC", _Converter(value).run())


class _Converter:
    """A single left-to-right pass over the markup."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0  # accents being read, one inside the other
        self._closers: dict[int, int] | None = None  # brace index -> its closing brace

    def run(self, stop: int | None = None) -> str:
        text = self.text
        end = len(text) if stop is None else stop
        out: list[str] = []
        while self.pos < end:
            special = _STEP.search(text, self.pos, end)
            plain_end = special.start() if special else end
            if plain_end > self.pos:  # a run of plain text, copied at once without its braces
                out.append(text[self.pos : plain_end].translate(_DROP))
                self.pos = plain_end
            if self.pos < end:
                out.append(self._step())
        return "".join(out)

    def _step(self) -> str:
        text, pos = self.text, self.pos
        char = text[pos]
        self.pos += 1
        if char == "\\":
            return self._command()
        if char in "{}$":
            return ""
        if char == "~":
            return " "
        if char == "-" and text.startswith("--", pos):
            if text.startswith("---", pos):
                self.pos += 2
                return "—"
            self.pos += 1
            return "–"
        if char == "`" and text.startswith("``", pos):
            self.pos += 1
            return "“"
        if char == "'" and text.startswith("''", pos):
            self.pos += 1
            return "”"
        return char

    def _command(self) -> str:
        text = self.text
        if self.pos >= len(text):
            return ""
        start = self.pos
        if not text[start].isalpha():
            self.pos += 1
            symbol = text[start]
            if symbol in _ACCENTS:
                return self._accent(symbol)
            return _ESCAPES.get(symbol, symbol)
        while self.pos < len(text) and text[self.pos].isalpha():
            self.pos += 1
        word = text[start : self.pos]
        if word in _ACCENTS:
            return self._accent(word)
        if word in _LETTERS:
            self._skip_spaces()
            return _LETTERS[word]
        if word in _SYMBOLS:
            return _SYMBOLS[word]
        if word == "href":
            self._skip_group()  # the URL; the link text that follows is kept
            return ""
        if word in _WRAPPERS:
            return ""
        return word

    def _accent(self, accent: str) -> str:
        if self.depth >= MAX_ACCENT_DEPTH:
            return ""  # the argument is read on as plain text
        self._skip_spaces()
        self.depth += 1
        try:
            argument = self._argument()
        finally:
            self.depth -= 1
        if argument == "ı":  # \'{\i}: the accent goes on a plain i
            argument = "i"
        elif argument == "ȷ":
            argument = "j"
        if not argument:
            return _BARE_ACCENTS.get(accent, "")
        return argument[0] + _ACCENTS[accent] + argument[1:]

    def _argument(self) -> str:
        text = self.text
        if self.pos >= len(text):
            return ""
        char = text[self.pos]
        if char == "{":
            end = self._group_end(self.pos)
            self.pos += 1
            inner = self.run(stop=end)
            self.pos = end + 1 if end < len(text) else end
            return inner
        if char == "\\":
            self.pos += 1
            return self._command()
        self.pos += 1
        return char

    def _group_end(self, opening: int) -> int:
        """Index of the brace closing the group opened at ``opening`` (or the text's end)."""
        if self._closers is None:  # every group's end, found in one pass
            closers: dict[int, int] = {}
            openings: list[int] = []
            for match in _BRACES.finditer(self.text):
                if match.group() == "{":
                    openings.append(match.start())
                elif openings:
                    closers[openings.pop()] = match.start()
            self._closers = closers
        return self._closers.get(opening, len(self.text))

    def _skip_group(self) -> None:
        self._skip_spaces()
        if self.pos < len(self.text) and self.text[self.pos] == "{":
            self.pos = self._group_end(self.pos) + 1

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1
