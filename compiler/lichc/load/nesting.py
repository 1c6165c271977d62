"""How deep jobs.yaml nests, measured on the text before any YAML parser runs.

libyaml's composer recurses once per level and some PyYAML releases have no
limit of their own (6.0.3 dies with a segmentation fault on 100,000 `[`), so
the depth is bounded here, whatever the installed libyaml does. The count is
an upper bound of the real depth: flow brackets outside quoted scalars and
comments, plus block levels (a deeper indent, or a `- ` / `? ` on the line).
"""

from __future__ import annotations

import re

_LINE_PREFIX = re.compile(r"^[ \t?-]*", re.MULTILINE)
_INDICATORS = re.compile(r"(?:[-?](?: +|$))+")
# characters after which `[`, `{` or a quote start a new node
_NODE_START = frozenset(":-?,[{\n")
# runs of characters that open, close or start nothing: skipped in one step
_PLAIN_RUN = re.compile(r"[^#'\"\[\]{}:?,|>\-]+")
_QUOTED_RUN = {"'": re.compile(r"[^']+"), '"': re.compile(r'[^"\\]+')}


def quick_bound(text: str) -> int:
    """A cheap bound of the depth: every level needs a bracket, or a column
    of indent or indicators at the start of some line."""
    brackets = text.count("[") + text.count("{")
    prefix = max((len(m[0]) for m in _LINE_PREFIX.finditer(text)), default=0)
    return brackets + prefix + 1


def too_deep(text: str, limit: int) -> tuple[int, int] | None:
    """1-based (line, column) where the nesting first exceeds `limit`, or None."""
    if quick_bound(text) <= limit:
        return None
    return _Scanner(limit).scan(text)


class _Scanner:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.blocks: list[int] = []  # columns of the open block levels
        self.flow = 0  # open [ and {
        self.quote = ""  # the quote of a scalar that continues on the next line
        self.literal_indent: int | None = None  # inside a | or > block scalar
        self.previous = "\n"

    def scan(self, text: str) -> tuple[int, int] | None:
        for number, line in enumerate(text.split("\n"), 1):
            found = self.line(line)
            if found is not None:
                return (number, found + 1)
        return None

    def line(self, line: str) -> int | None:
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if self.literal_indent is not None:
            if not content.strip() or indent > self.literal_indent:
                return None
            self.literal_indent = None
        start = 0
        if not self.quote and not self.flow:
            if not content or content.startswith("#"):
                return None
            while self.blocks and self.blocks[-1] >= indent:
                self.blocks.pop()
            self.blocks.append(indent)
            start = indent
            indicators = _INDICATORS.match(content)
            if indicators:
                for width in (len(i) for i in re.findall(r"[-?] *", indicators[0])):
                    start += width
                    self.blocks.append(start)
            if len(self.blocks) > self.limit:
                return indent
            self.previous = "\n"
        return self.characters(line, start, indent)

    def characters(self, line: str, start: int, indent: int) -> int | None:
        i = start
        while i < len(line):
            c = line[i]
            if self.quote:
                run = _QUOTED_RUN[self.quote].match(line, i)
                i = run.end() if run else self.in_quote(line, i)
                continue
            run = _PLAIN_RUN.match(line, i)
            if run:
                if run[0].strip(" \t"):
                    self.previous = "a"  # text: a bracket after it is text too
                i = run.end()
                continue
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                return None  # a comment runs to the end of the line
            structural = c in ":-?,]}"
            if self.previous in _NODE_START:
                if c in "'\"":
                    self.quote = c
                elif c in "[{":
                    structural = True
                    self.flow += 1
                    if len(self.blocks) + self.flow > self.limit:
                        return i
                elif c in "|>" and not self.flow and _ends_line(line, i):
                    self.literal_indent = indent
                    return None
            if c in "]}" and self.flow:
                self.flow -= 1
            if c not in " \t":
                # inside plain text a bracket is text: `x[[` opens nothing
                self.previous = c if structural else "a"
            i += 1
        return None

    def in_quote(self, line: str, i: int) -> int:
        c = line[i]
        if self.quote == "'" and c == "'":
            if line[i + 1 : i + 2] == "'":
                return i + 2  # '' is a quote inside the scalar
            self.quote = ""
            self.previous = c
        elif self.quote == '"' and c == "\\":
            return i + 2
        elif self.quote == '"' and c == '"':
            self.quote = ""
            self.previous = c
        return i + 1


def _ends_line(line: str, i: int) -> bool:
    """A | or > followed only by its modifiers and maybe a comment."""
    return re.fullmatch(r"[|>][0-9+-]*(?:\s+#.*)?\s*", line[i:]) is not None
