"""The BibTeX / BibLaTeX syntax: entries, fields, ``@string`` macros, with line numbers.

Follows BibTeX's own rules:

- Text outside entries is ignored. An ``@`` starts an entry only when a type name and an
  opening ``{`` or ``(`` follow; any other ``@`` (an e-mail address) is ignored text.
- An entry is delimited by braces or parentheses; braces must balance inside it (quotes do
  not protect braces), so a missing closing brace swallows the rest of the file and is
  reported as an unterminated entry at the line where it starts.
- A field value is ``{...}`` (nested braces kept), ``"..."`` (ends at a ``"`` outside
  braces), a number, or a macro name, joined by ``#``. Macros are ``@string`` definitions
  and the month names ``jan``..``dec`` (case-insensitive); an undefined macro is the empty
  string, as BibTeX makes it after a warning.
- ``@comment`` and ``@preamble`` are skipped; ``@comment`` with no brace skips only its name.
- Field names and entry types are case-insensitive (lower-cased here). When a field repeats
  within an entry, the **first** value wins, as in BibTeX ("ignoring the extra field").

Values are returned raw (inner braces and LaTeX kept); :mod:`._latex` turns them into text.

Limits keep time and memory linear in the input: a value (after ``@string`` expansion) may
hold :data:`FIELD_LIMIT` characters (over it, the entry is a bad record; a macro over it is
an error only where it is used), and all expansions of a file together at most
:func:`expansion_budget` characters (over it, the file is a :class:`FormatError`). Scanning
never recurses; a balanced group is skipped by one regular-expression match per a few levels
of nesting, so brace-heavy text costs a few passes at C speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from paperradar.errors import FormatError
from paperradar.readers.limits import MAX_RECORD_CHARS, too_long

#: The most characters one field or ``@string`` value may hold, after macro expansion.
FIELD_LIMIT = MAX_RECORD_CHARS
#: All macro expansions of a file together: this floor plus EXPANSION_FACTOR times its size.
EXPANSION_FLOOR = 32 << 20
EXPANSION_FACTOR = 4

_TYPE = re.compile(r"[A-Za-z][\w\-]*")
_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_NUMBER = re.compile(r"\d+")
_BRACE_RUN = re.compile(r"(?:\{[^{}]*+)++|(?:\}[^{}]*+)++")
_QUOTED_STOP = re.compile(r'[{}"]')
_PAREN_STOP = re.compile(r'[{})"]')
_SPACE = re.compile(r"\s+")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
STANDARD_MACROS = {name[:3].lower(): name for name in _MONTHS}


def _group_pattern(levels: int) -> re.Pattern[str]:
    """A balanced ``{...}`` group nested at most ``levels`` deep (possessive: no backtracking)."""
    pattern = r"\{[^{}]*+\}"
    for _ in range(levels):
        pattern = r"\{(?:[^{}]++|" + pattern + r")*+\}"
    return re.compile(pattern)


_GROUP = _group_pattern(8)


def group_end(text: str, opening: int, end: int) -> int | None:
    """Index of the brace closing the group opened at ``text[opening]``, before ``end``;
    None when it is not closed there.

    Linear, and at C speed for all but deep nesting: a balanced group up to 8 levels deep is
    one regular-expression match; a deeper one is walked a run of opening (or closing)
    braces at a time, trying the match again at the run's first and innermost brace (a
    failed try stops within 8 levels of where it starts)."""
    match = _GROUP.match(text, opening, end)
    if match:
        return match.end() - 1
    depth, pos = 0, opening
    while run := _BRACE_RUN.search(text, pos, end):
        start, pos = run.span()
        braces = text.count(text[start], start, pos)
        if text[start] == "{":
            first = _GROUP.match(text, start, end) if start > opening else None
            if first:  # the whole group is balanced: skip it
                pos = first.end()
                continue
            innermost = text.rfind("{", start, pos)
            inner = _GROUP.match(text, innermost, end) if braces > 1 else None
            if inner:  # the innermost group is balanced: skip it
                braces -= 1
                pos = inner.end()
            depth += braces
        elif depth > braces:
            depth -= braces
        else:  # the closing brace is in this run: the depth-th of it
            return pos - len(text[start:pos].split("}", depth)[-1]) - 1
    return None


def expansion_budget(text_length: int) -> int:
    """How many characters the macros of a text this long may expand to, all together."""
    return EXPANSION_FLOOR + EXPANSION_FACTOR * text_length


@dataclass(slots=True)
class Entry:
    """One ``@type{key, ...}`` entry: its type, key, 1-based start line and raw fields."""

    kind: str
    key: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # a syntax error inside the entry (the entry is a bad record)


class _EntryError(Exception):
    """A syntax error inside one entry's body."""


class _TooLong(_EntryError):
    """A value over FIELD_LIMIT."""


def _too_long(name: str, expanded: bool, size: int) -> _TooLong:
    if expanded:
        return _TooLong(
            f"field '{name}' too long after @string expansion (over {FIELD_LIMIT:,} characters)"
        )
    return _TooLong(too_long(f"field '{name}'", size))


class BibScanner:
    """Scan a whole BibTeX text into entries, expanding macros on the way."""

    def __init__(self, text: str, origin: str) -> None:
        self.text = text
        self.origin = origin
        self.macros: dict[str, str] = dict(STANDARD_MACROS)
        self._overlong: set[str] = set()  # macros whose value passed FIELD_LIMIT
        self._budget = expansion_budget(len(text))
        self._entry_line = 1  # the line of the entry being read
        self._line_pos, self._line = 0, 1  # where line_of last counted to

    def line_of(self, pos: int) -> int:
        """The 1-based line of ``text[pos]`` (counted on from the last call: linear)."""
        if pos >= self._line_pos:
            self._line += self.text.count("\n", self._line_pos, pos)
        else:
            self._line -= self.text.count("\n", pos, self._line_pos)
        self._line_pos = pos
        return self._line

    def entries(self) -> Iterator[Entry]:
        """Every regular entry in order; ``@string`` is applied, comments skipped."""
        text, pos = self.text, 0
        while (at := text.find("@", pos)) >= 0:
            pos = at + 1
            match = _TYPE.match(text, pos)
            if not match:
                continue
            kind = match.group().lower()
            opening = self._skip_space(match.end())
            if opening >= len(text) or text[opening] not in "{(":
                pos = match.end()
                continue
            line = self._entry_line = self.line_of(at)
            closing = self._closing(opening)
            if closing is None:
                delimiter = "}" if text[opening] == "{" else ")"
                raise FormatError(
                    self.origin,
                    line,
                    f"unterminated @{kind} entry: no closing '{delimiter}' before the end of file",
                )
            pos = closing + 1
            if kind in ("comment", "preamble"):
                continue
            if kind == "string":
                self._define(opening + 1, closing, line)
                continue
            yield self._entry(kind, opening + 1, closing, line)

    # -- structure -----------------------------------------------------------------------

    def _closing(self, opening: int) -> int | None:
        """Index of the delimiter that closes the entry opened at ``opening``, else None."""
        text = self.text
        if text[opening] == "{":
            return group_end(text, opening, len(text))
        depth, quoted, pos = 0, False, opening + 1
        while stop := _PAREN_STOP.search(text, pos):
            char, at = stop.group(), stop.start()
            pos = at + 1
            if char == "{":
                if depth == 0:  # a balanced group is skipped whole
                    close = group_end(text, at, len(text))
                    if close is None:
                        return None
                    pos = close + 1
                    continue
                depth += 1
            elif char == "}":
                depth -= 1
            elif depth == 0 and char == '"':
                quoted = not quoted
            elif depth == 0 and not quoted:  # ')'
                return at
        return None

    def _define(self, start: int, end: int, line: int) -> None:
        try:
            pos = self._skip_space(start)
            name, pos = self._field_name(pos, end)
            try:
                value, pos = self._value(self._equals(pos, end, name), end, name)
            except _TooLong:  # an error only where it is used
                self.macros.pop(name, None)
                self._overlong.add(name)
                return
            if self._skip_space(pos) < end:
                raise _EntryError(f"unexpected text after the value at line {self.line_of(pos)}")
        except _EntryError as exc:
            raise FormatError(self.origin, line, f"malformed @string: {exc}") from None
        self._overlong.discard(name)
        self.macros[name] = value

    def _entry(self, kind: str, start: int, end: int, line: int) -> Entry:
        text = self.text
        comma = text.find(",", start, end)
        key_end = end if comma < 0 else comma
        key = text[start:key_end].strip()
        entry = Entry(kind=kind, key=key, line=line)
        if "=" in key:
            entry.key = ""
            entry.error = "no citation key before the first field"
            return entry
        try:
            self._fields(entry, key_end + 1, end)
        except _EntryError as exc:
            entry.error = str(exc)
        return entry

    def _fields(self, entry: Entry, pos: int, end: int) -> None:
        while (pos := self._skip_space(pos)) < end:
            name, pos = self._field_name(pos, end)
            value, pos = self._value(self._equals(pos, end, name), end, name)
            entry.fields.setdefault(name, value)  # the first value wins
            pos = self._skip_space(pos)
            if pos < end:
                if self.text[pos] != ",":
                    raise _EntryError(
                        f"expected ',' after field '{name}' at line {self.line_of(pos)}"
                    )
                pos += 1

    # -- tokens --------------------------------------------------------------------------

    def _skip_space(self, pos: int) -> int:
        match = _SPACE.match(self.text, pos)
        return match.end() if match else pos

    def _field_name(self, pos: int, end: int) -> tuple[str, int]:
        match = _NAME.match(self.text, pos, end)
        if not match:
            raise _EntryError(f"expected a field name at line {self.line_of(pos)}")
        return match.group().lower(), match.end()

    def _equals(self, pos: int, end: int, name: str) -> int:
        pos = self._skip_space(pos)
        if pos >= end or self.text[pos] != "=":
            raise _EntryError(f"expected '=' after field '{name}' at line {self.line_of(pos)}")
        return pos + 1

    def _value(self, pos: int, end: int, name: str) -> tuple[str, int]:
        """A value: parts joined by ``#``; returns the raw concatenation and the next index."""
        parts: list[str] = []
        size, expanded = 0, False
        while True:
            pos = self._skip_space(pos)
            part, pos, is_macro = self._part(pos, end, name)
            expanded = expanded or is_macro
            size += len(part)
            if size > FIELD_LIMIT:
                raise _too_long(name, expanded, size)
            parts.append(part)
            after = self._skip_space(pos)
            if after < end and self.text[after] == "#":
                pos = after + 1
                continue
            return "".join(parts), pos

    def _part(self, pos: int, end: int, name: str) -> tuple[str, int, bool]:
        """One part of a value, the index after it, and whether it was a macro."""
        text = self.text
        if pos >= end:
            raise _EntryError(f"field '{name}' has no value at line {self.line_of(pos)}")
        char = text[pos]
        if char in '{"':
            close = self._group_end(pos, end) if char == "{" else self._quote_end(pos, end, name)
            if close - pos - 1 > FIELD_LIMIT:
                raise _too_long(name, False, close - pos - 1)
            return text[pos + 1 : close], close + 1, False
        number = _NUMBER.match(text, pos, end)
        if number:
            return number.group(), number.end(), False
        macro = _NAME.match(text, pos, end)
        if macro:
            key = macro.group().lower()
            if key in self._overlong:
                raise _too_long(name, True, FIELD_LIMIT + 1)
            value = self.macros.get(key, "")
            self._spend(len(value))
            return value, macro.end(), True
        raise _EntryError(f"field '{name}' has no value at line {self.line_of(pos)}")

    def _spend(self, characters: int) -> None:
        """Count a macro's expansion against the file's budget; over it, the file is refused."""
        self._budget -= characters
        if self._budget < 0:
            limit = expansion_budget(len(self.text)) >> 20
            raise FormatError(
                self.origin,
                self._entry_line,
                f"@string macros expand to over {limit} MiB of text in total for this file",
            )

    def _group_end(self, opening: int, end: int) -> int:
        close = group_end(self.text, opening, end)
        if close is None:
            raise _EntryError(f"unbalanced braces in a value at line {self.line_of(opening)}")
        return close

    def _quote_end(self, opening: int, end: int, name: str) -> int:
        """The closing ``"`` of a quoted value: a ``"`` outside braces."""
        text, depth, pos = self.text, 0, opening + 1
        while stop := _QUOTED_STOP.search(text, pos, end):
            char, at = stop.group(), stop.start()
            pos = at + 1
            if char == "{":
                if depth == 0:  # a balanced group is skipped whole
                    close = group_end(text, at, end)
                    if close is None:
                        break
                    pos = close + 1
                    continue
                depth += 1
            elif char == "}":
                depth -= 1
            elif depth == 0:  # '"'
                return at
        line = self.line_of(opening)
        raise _EntryError(f"unterminated quoted value of field '{name}' at line {line}")
