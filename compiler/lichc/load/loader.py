"""Stage 1: read jobs.yaml safely into plain data, keeping every position.

libyaml (safe, C) composes a node tree; we turn it into dicts, lists and
scalars ourselves so that duplicate keys, YAML 1.1 booleans (`on`, `yes`),
unexpected tags and alias bombs are errors, not surprises. The node tree is
kept so that any key path can be mapped back to ``line:col`` when reporting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from lichc.diagnostics import MAX_BYTES, Diagnostic, KeyPath, SpecError
from lichc.load.nesting import too_deep

MAX_DEPTH = 64
MAX_ALIAS_NODES = 10_000

_TAG = "tag:yaml.org,2002:"
_BOOL_WORDS = {"true", "false"}
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_scalars = yaml.constructor.SafeConstructor()


class _Fatal(Exception):
    """Stops the walk: what follows cannot be trusted (alias bomb, nesting)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


@dataclass
class Document:
    """A loaded spec: plain data plus the node tree for positions."""

    filename: str
    data: dict[str, Any]
    root: yaml.Node | None = None
    # problems that did not stop loading (duplicate keys, YAML 1.1 booleans...);
    # validation reports them together with its own
    problems: list[Diagnostic] = field(default_factory=list)
    _index: dict[int, dict[Any, tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, repr=False
    )

    def position(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at ``path`` (or of its key).

        When the path leads past what exists (a missing key), the position of
        the deepest existing node is returned.
        """
        node = self.root
        if node is None:
            return (1, 1)
        mark = node.start_mark
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                pair = self._pairs(node).get(part)
                if pair is None:
                    break
                mark = pair[0].start_mark if (last and key) else pair[1].start_mark
                node = pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                mark = node.start_mark
            else:
                break
        return (mark.line + 1, mark.column + 1)

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        if diagnostic.line:
            return diagnostic
        return diagnostic.at(*self.position(diagnostic.path, key=diagnostic.on_key))

    def _pairs(self, node: yaml.MappingNode) -> dict[Any, tuple[yaml.Node, yaml.Node]]:
        cached = self._index.get(id(node))
        if cached is None:
            cached = {}
            for key_node, value_node in node.value:
                if key_node.tag == _TAG + "merge":
                    for merged in _merge_sources(value_node):
                        for k, pair in self._pairs(merged).items():
                            cached.setdefault(k, pair)
                elif isinstance(key_node, yaml.ScalarNode):
                    cached[key_node.value] = (key_node, value_node)
            self._index[id(node)] = cached
        return cached


def parse(raw: bytes, name: str = "jobs.yaml") -> Document:
    document = parse_unless_empty(raw, name)
    if document is None:
        raise SpecError(
            name,
            [
                Diagnostic(
                    "the file is empty",
                    hint="start with `version: 1` and a `jobs:` mapping, "
                    "or run `lichc new NAME --engine celery`",
                    line=1,
                    column=1,
                )
            ],
        )
    return document


def parse_unless_empty(raw: bytes, name: str = "jobs.yaml") -> Document | None:
    """`parse`, except that a file with no YAML in it (empty, or comments
    only) is None rather than an error: `lichc new` starts such a file."""
    if len(raw) > MAX_BYTES:
        raise SpecError(
            name,
            [
                Diagnostic(
                    f"file is larger than the {MAX_BYTES // (1024 * 1024)} MiB limit",
                    hint="split very large specs, or check that this is the right file",
                    line=1,
                    column=1,
                )
            ],
        )
    text = _decode(raw, name)
    _refuse_deep_nesting(text, name)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise SpecError(name, [_syntax_error(exc, text)]) from None
    except yaml.YAMLError as exc:  # unmarked errors are rare; keep the text
        raise SpecError(
            name, [Diagnostic(f"invalid YAML: {exc}", line=1, column=1)]
        ) from None
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        raise SpecError(
            name,
            [
                Diagnostic(
                    f"the top level must be a mapping of keys, found {_kind(root)}",
                    hint="start with `version: 1` and a `jobs:` mapping",
                    line=root.start_mark.line + 1,
                    column=root.start_mark.column + 1,
                )
            ],
        )
    walker = _Walker(track_aliases="&" in text)
    try:
        data = walker.value(root, (), 0, False)
    except _Fatal as fatal:
        raise SpecError(name, [*walker.errors, fatal.diagnostic]) from None
    return Document(name, data, root, walker.errors)


def _refuse_deep_nesting(text: str, name: str) -> None:
    """Before libyaml sees the text: its composer recurses per level, and some
    PyYAML releases crash (SIGSEGV) rather than report a depth limit."""
    where = too_deep(text, MAX_DEPTH)
    if where is not None:
        raise SpecError(name, [_too_deep((), *where)])


def _too_deep(path: KeyPath, line: int, column: int) -> Diagnostic:
    return Diagnostic(
        f"nesting deeper than {MAX_DEPTH} levels",
        path,
        "jobs.yaml is a flat format; deep nesting is not needed",
        line,
        column,
    )


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecError(
            name,
            [
                Diagnostic(
                    f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    hint="save jobs.yaml as UTF-8",
                    line=line,
                    column=column,
                )
            ],
        ) from None


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if "maximum nesting depth" in problem:
        problem = "nesting is too deep"
    message = f"invalid YAML: {problem}"
    if exc.context and "nesting" not in problem:
        message += f" ({exc.context})"
    hint = None
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        hint = "YAML does not allow tabs for indentation; indent with spaces"
    elif "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted"
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Diagnostic(message, hint=hint, line=line, column=column)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.ScalarNode):
        return f"the value {node.value!r}"
    return "a mapping"


def _merge_sources(node: yaml.Node) -> list[yaml.MappingNode]:
    if isinstance(node, yaml.MappingNode):
        return [node]
    if isinstance(node, yaml.SequenceNode):
        return [n for n in node.value if isinstance(n, yaml.MappingNode)]
    return []


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _here(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Node tree -> plain data, collecting problems as it goes."""

    def __init__(self, *, track_aliases: bool) -> None:
        self.errors: list[Diagnostic] = []
        self.track_aliases = track_aliases
        self.seen: set[int] = set()
        self.alias_nodes = 0

    def error(
        self, node: yaml.Node, path: KeyPath, message: str, hint: str | None = None
    ) -> None:
        self.errors.append(Diagnostic(message, path, hint, *_here(node)))

    def bad_tag(self, node: yaml.Node, path: KeyPath, hint: str | None = None) -> None:
        self.error(
            node, path, f"YAML tag '{_short_tag(node.tag)}' is not allowed", hint
        )

    def value(self, node: yaml.Node, path: KeyPath, depth: int, via_alias: bool) -> Any:
        if depth > MAX_DEPTH:
            raise _Fatal(_too_deep(path, *_here(node)))
        if self.track_aliases:
            if id(node) in self.seen:
                via_alias = True
            else:
                self.seen.add(id(node))
            if via_alias:
                self.alias_nodes += 1
                if self.alias_nodes > MAX_ALIAS_NODES:
                    raise _Fatal(
                        Diagnostic(
                            f"YAML aliases expand to more than {MAX_ALIAS_NODES} values",
                            path,
                            "this looks like an alias bomb; write the values out or use `defaults:`",
                            *_here(node),
                        )
                    )
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self.bad_tag(node, path)
            return [
                self.value(item, (*path, i), depth + 1, via_alias)
                for i, item in enumerate(node.value)
            ]
        assert isinstance(node, yaml.MappingNode)
        if node.tag != _TAG + "map":
            self.bad_tag(node, path)
        return self.mapping(node, path, depth, via_alias)

    def mapping(
        self, node: yaml.MappingNode, path: KeyPath, depth: int, via_alias: bool
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                for source in _merge_sources(value_node):
                    for k, v in self.mapping(source, path, depth + 1, True).items():
                        merged.setdefault(k, v)
                if not _merge_sources(value_node):
                    self.error(
                        value_node, path, "`<<` merges a mapping or a list of mappings"
                    )
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            if key in result:
                self.error(
                    key_node,
                    (*path, key),
                    f"duplicate key '{key}'",
                    "each key may appear once in a mapping; remove or rename one",
                )
                continue
            result[key] = self.value(value_node, (*path, key), depth + 1, via_alias)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def key(self, node: yaml.Node, path: KeyPath) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, path, "a key must be plain text, not a list or mapping")
            return None
        if node.tag == _TAG + "str":
            return str(node.value)
        if node.tag == _TAG + "bool" and node.value.lower() not in _BOOL_WORDS:
            self.error(
                node,
                path,
                f"key '{node.value}' is read as a boolean by YAML 1.1",
                f'quote it: "{node.value}"',
            )
            return None
        self.error(
            node, path, f"key {node.value!r} must be text", f'quote it: "{node.value}"'
        )
        return None

    def scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        tag = node.tag
        if tag == _TAG + "str":
            return node.value
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            if node.value.lower() not in _BOOL_WORDS:
                self.error(
                    node,
                    path,
                    f"'{node.value}' is read as a boolean by YAML 1.1",
                    f'write true or false, or quote it for text: "{node.value}"',
                )
            return _scalars.construct_yaml_bool(node)
        if tag == _TAG + "int":
            try:
                return _scalars.construct_yaml_int(node)
            except ValueError:
                self.error(node, path, "number is too large", "quote it if it is text")
                return None
        if tag == _TAG + "float":
            return _scalars.construct_yaml_float(node)
        if tag == _TAG + "timestamp":
            return node.value  # dates are text in jobs.yaml
        self.bad_tag(node, path, "remove the tag")
        return node.value
