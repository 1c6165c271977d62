"""Add a job to jobs.yaml without touching a byte of what the user wrote.

A full round-trip (load, change, dump) would re-wrap the user's flow
mappings and normalise indentation, so the new job is instead rendered on
its own with ruamel.yaml, in the file's own indentation style, and spliced in
after the last job. The caller re-parses the result to prove that every
existing value is unchanged.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import yaml

from lichc.fileformat.values import PyRef

DEFAULT_INDENT = 2
DEFAULT_DASH_OFFSET = 2  # `steps:` then `  - {...}`, as in the spec's examples
_FILLER = re.compile(r"\s*(#.*)?|(\.\.\.|---)\s*(#.*)?")
_TRAILING_SPACE = re.compile(r"[ \t]+(\r?\n)?$")


class EditError(Exception):
    """jobs.yaml is written in a way this edit cannot extend safely."""


@dataclass(frozen=True, slots=True)
class NewJob:
    name: str
    engine: str
    queue: str | None
    run: PyRef | None  # a single-step job's handler
    steps: tuple[tuple[str, PyRef], ...] = ()  # (step name, handler)

    def data(self) -> dict[str, object]:
        """The job as plain data, as jobs.yaml reads back."""
        job: dict[str, object] = {"engine": self.engine}
        if self.queue is not None:
            job["queue"] = self.queue
        if self.run is not None:
            job["run"] = str(self.run)
        else:
            job["steps"] = [{"name": n, "run": str(h)} for n, h in self.steps]
        return job


@dataclass(frozen=True, slots=True)
class Style:
    indent: int = DEFAULT_INDENT  # mapping indentation step
    dash_offset: int = DEFAULT_DASH_OFFSET  # `-` column relative to its key


def render_job(job: NewJob, style: Style, column: int) -> str:
    """The job as YAML lines, its name at `column`; steps as one-line mappings."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    body = CommentedMap(job.data())
    if job.run is None:
        steps = CommentedSeq()
        for step in body["steps"]:
            item = CommentedMap(step)
            item.fa.set_flow_style()
            steps.append(item)
        body["steps"] = steps
    dumper = YAML()
    dumper.width = 4096  # one step per line, however long
    dumper.indent(
        mapping=style.indent,
        sequence=style.dash_offset + 2,
        offset=style.dash_offset,
    )
    out = io.StringIO()
    dumper.dump(CommentedMap({job.name: body}), out)
    pad = " " * column
    return "".join(pad + line for line in out.getvalue().splitlines(keepends=True))


def new_file(job: NewJob) -> str:
    return (
        "# Background jobs, compiled by lichc: `lichc build` generates the code.\n"
        "version: 1\n\njobs:\n" + render_job(job, Style(), DEFAULT_INDENT)
    )


def add_job(text: str, root: yaml.MappingNode, job: NewJob) -> str:
    """`text` with `job` appended to its `jobs` mapping (`root` is its node tree)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    style = _style(root)
    pairs = [(k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)]
    found = next((i for i, (k, _) in enumerate(pairs) if k.value == "jobs"), None)
    if found is None:
        block = "jobs:\n" + render_job(job, style, style.indent)
        return _insert(lines, len(lines), block, newline, blank=bool(text.strip()))
    key, value = pairs[found]
    if _is_empty(value):
        # `jobs:`, `jobs: null` or `jobs: {}`: drop the value, keep any comment
        line = key.start_mark.line
        start, end = value.start_mark, value.end_mark
        if start.index != end.index:
            text = text[: start.index] + text[end.index :]
            lines = text.splitlines(keepends=True)
            lines[line] = _TRAILING_SPACE.sub(r"\1", lines[line])
        block = render_job(job, style, key.start_mark.column + style.indent)
        return _insert(lines, line + 1, block, newline, blank=False)
    if not isinstance(value, yaml.MappingNode):
        raise EditError(
            "`jobs:` is not a mapping of job names to jobs; see `lichc validate`"
        )
    if value.flow_style:
        raise EditError(
            "`jobs:` is written on one line ({...}); write it as a block mapping, "
            "one job per line, and run `lichc new` again"
        )
    jobs = value.value
    last_key, last_value = jobs[-1]
    following = pairs[found + 1][0].start_mark.line if found + 1 < len(pairs) else None
    after = _end_line(lines, last_key, last_value, following)
    block = render_job(job, style, jobs[0][0].start_mark.column)
    return _insert(lines, after, block, newline, blank=_spaced(lines, value))


def _insert(lines: list[str], at: int, block: str, newline: str, blank: bool) -> str:
    head = lines[:at]
    if head and not head[-1].endswith(("\n", "\r")):
        head[-1] += newline
    if blank:
        block = "\n" + block
    if newline != "\n":
        block = block.replace("\n", newline)
    return "".join([*head, block, *lines[at:]])


def _is_empty(node: yaml.Node) -> bool:
    if isinstance(node, yaml.ScalarNode):
        return node.tag.endswith(":null")
    return isinstance(node, yaml.MappingNode) and not node.value


def _end_line(
    lines: list[str], key: yaml.Node, value: yaml.Node, following: int | None
) -> int:
    """The line index just after the last job's text.

    The last line holding a value of the job (a block scalar may end in lines
    that look like comments) or, if later, the last line before the next
    top-level key that is not blank or a comment (marks of an alias point at
    its anchor, elsewhere in the file).
    """
    by_marks = max(key.end_mark.line, _last_line(value))
    scan = following if following is not None else len(lines)
    while scan > 0 and _FILLER.fullmatch(lines[scan - 1].rstrip("\r\n")):
        scan -= 1
    return max(by_marks + 1, scan)


def _last_line(node: yaml.Node) -> int:
    """0-based line of the last character of a node's own text."""
    if isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        if isinstance(last, tuple):
            return max(int(last[0].end_mark.line), _last_line(last[1]))
        return _last_line(last)
    line, column = int(node.end_mark.line), int(node.end_mark.column)
    return line - 1 if column == 0 and line > 0 else line


def _spaced(lines: list[str], jobs: yaml.MappingNode) -> bool:
    """Whether jobs are separated by blank lines (above any comments of a job).

    With one job so far: when that job is written over several lines.
    """
    if len(jobs.value) < 2:
        only = jobs.value[0][1]
        return isinstance(only, yaml.MappingNode) and not only.flow_style
    above = jobs.value[-1][0].start_mark.line - 1
    while above >= 0 and lines[above].lstrip().startswith("#"):
        above -= 1
    return above >= 0 and not lines[above].strip()


def _style(root: yaml.MappingNode) -> Style:
    """The file's own indentation step and sequence dash offset."""
    steps: list[int] = []
    dashes: list[int] = []
    todo: list[yaml.Node] = [root]
    while todo:
        node = todo.pop()
        if not isinstance(node, yaml.MappingNode) or node.flow_style:
            if isinstance(node, yaml.SequenceNode):
                todo.extend(node.value)
            continue
        for key, value in node.value:
            column = key.start_mark.column
            if (
                isinstance(value, yaml.MappingNode)
                and value.value
                and not value.flow_style
            ):
                steps.append(value.value[0][0].start_mark.column - column)
            if isinstance(value, yaml.SequenceNode) and not value.flow_style:
                dashes.append(value.start_mark.column - column)
            todo.append(value)
    indent = min((s for s in steps if s > 0), default=DEFAULT_INDENT)
    dash = min(dashes, default=DEFAULT_DASH_OFFSET)
    return Style(indent, max(dash, 0))
