"""`lichc graph`: jobs and their steps as a Mermaid flowchart.

One subgraph per job, titled with its engine and queue; steps top to bottom.
Sleeps, signal waits and parallel branches have shapes of their own,
compensations hang off their steps on dotted edges and run back up in
reverse order, and the paths a timeout takes are labelled.

Node ids are built from validated names only (`<job>__s_<step>`: job names
have no `__`, and the letter after it keeps kinds apart); every label is
quoted, with any character Mermaid could read as syntax written as an
entity code (`#35;`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lichc.fileformat.values import format_duration
from lichc.plan import ir

_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:/()[]*+=-@!?'"
)
BREAK = "<br/>"


def label(*lines: str) -> str:
    """A quoted Mermaid label: lines joined by <br/>, anything else escaped."""
    return '"' + BREAK.join(map(_escape, lines)) + '"'


def _escape(text: str) -> str:
    return "".join(ch if ch in _SAFE else f"#{ord(ch)};" for ch in text)


def flowchart(jobs: Iterable[ir.Job]) -> str:
    lines = ["flowchart TD"]
    for job in jobs:
        lines += _Job(job).lines()
    return "\n".join(lines) + "\n"


def _title(job: ir.Job) -> str:
    parts = [job.engine, f"queue {job.queue}"]
    if job.id is not None:
        parts.append(f"id {job.id}")
    if job.deadline is not None:
        parts.append(f"timeout {format_duration(job.deadline)}")
    return ", ".join(parts)


def _retry(step: ir.RunStep) -> str:
    attempts = step.retry.attempts
    tries = "unlimited attempts" if attempts is None else f"{attempts} attempts"
    return f"{tries}, timeout {format_duration(step.timeout)}"


Exit = tuple[str, str]  # (node, label of the edge to whatever comes next)


@dataclass
class _Job:
    """Draws one job: node declarations first, then every edge."""

    job: ir.Job
    nodes: list[str] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)  # the main path
    side: list[str] = field(default_factory=list)  # compensations, dead letters
    undo: list[str] = field(default_factory=list)  # compensation nodes, in step order
    fails: bool = False  # some path ends the job as failed

    def id(self, kind: str, name: str = "") -> str:
        return f"{self.job.snake}__{kind}{name}"

    def node(
        self, node_id: str, shape: str, *lines: str, into: list[str] | None = None
    ) -> str:
        opening, closing = shape.split("|")
        indent = "      " if into is not None else "    "
        line = f"{indent}{node_id}{opening}{label(*lines)}{closing}"
        (self.nodes if into is None else into).append(line)
        return node_id

    def edge(
        self, source: str, target: str, text: str = "", *, dotted: bool = False
    ) -> None:
        arrow = "-.->" if dotted else "-->"
        middle = f"{arrow}|{label(text)}|" if text else arrow
        (self.side if dotted else self.edges).append(f"    {source} {middle} {target}")

    def follow(self, exits: list[Exit], target: str) -> None:
        for source, text in exits:
            self.edge(source, target, text)

    def lines(self) -> list[str]:
        job = self.job
        start = self.node(
            self.id("start"), "([|])", f"start({', '.join(job.input_names)})"
        )
        for i, schedule in enumerate(job.schedules):
            cron = self.node(
                self.id("cron", str(i)),
                "[/|/]",
                f"cron {schedule.cron}",
                schedule.timezone,
            )
            self.edge(cron, start)
        exits: list[Exit] = [(start, "")]
        for step in job.steps:
            exits = self.step(step, exits)
        if exits:  # not when an end step ends every path
            self.follow(exits, self.node(self.id("done"), "([|])", "done"))
        if self.undo:
            self.fails = True
            self.edge(self.undo[0], self.id("failed"), dotted=True)
        if self.fails:
            self.node(self.id("failed"), "((|))", "failed")
        title = label(job.name, _title(job))
        return [
            f"  subgraph {self.id('job')} [{title}]",
            "    direction TB",
            *self.nodes,
            *self.edges,
            *self.side,
            "  end",
        ]

    def step(self, step: ir.Step, exits: list[Exit]) -> list[Exit]:
        """Draw a step after `exits`; return the exits the next step follows.
        A step with `if` hangs off a decision whose `no` skips it."""
        if step.condition is None:
            return self.unconditional(step, exits)
        decision = self.node(self.id("c_", step.name), "{|}", f"if {step.condition}")
        self.follow(exits, decision)
        return [*self.unconditional(step, [(decision, "yes")]), (decision, "no")]

    def unconditional(self, step: ir.Step, exits: list[Exit]) -> list[Exit]:
        if isinstance(step, ir.EndStep):
            return self.end(step, exits)
        if isinstance(step, ir.RunStep):
            node = self.run(step)
        elif isinstance(step, ir.SleepStep):
            duration = f"sleep {format_duration(step.duration)}"
            node = self.node(self.id("s_", step.name), "{{|}}", step.name, duration)
        elif isinstance(step, ir.WaitStep):
            return self.wait(step, exits)
        elif isinstance(step, ir.JobStep):
            node = self.node(
                self.id("j_", step.name), "[[|]]", step.name, f"job {step.job}"
            )
        else:
            return self.parallel(step, exits)
        self.follow(exits, node)
        return [(node, "")]

    def end(self, step: ir.EndStep, exits: list[Exit]) -> list[Exit]:
        """An end step ends its path: completed with a result, or failed."""
        if step.fail is not None:
            node = self.node(
                self.id("e_", step.name), "[/|\\]", step.name, f"fail: {step.fail}"
            )
            self.follow(exits, node)
            self.edge(node, self.id("failed"))
            self.fails = True
        else:
            node = self.node(
                self.id("e_", step.name), "([|])", step.name, "end with result"
            )
            self.follow(exits, node)
        return []

    def run(self, step: ir.RunStep, into: list[str] | None = None) -> str:
        job = self.job
        lines = [step.name, str(step.handler)]
        if step.for_each is not None:
            each = step.for_each
            lines.append(f"for each in {each.items}, {each.max_parallel} at once")
        if step.queue != job.queue:
            lines.append(f"queue {step.queue}")
        lines.append(_retry(step))
        node = self.node(self.id("s_", step.name), "[|]", *lines, into=into)
        if step.compensate is not None:
            undo = self.node(
                self.id("u_", step.name),
                "[|]",
                f"undo {step.name}",
                str(step.compensate.handler),
            )
            self.edge(node, undo, "compensate", dotted=True)
            if self.undo:
                self.edge(undo, self.undo[-1], dotted=True)  # they run in reverse
            self.undo.append(undo)
        if job.dead_letter is not None:
            dead = self.node(
                self.id("dlq_", step.name),
                "[(|)]",
                f"dead-letter queue {job.dead_letter}",
            )
            self.edge(node, dead, "after the last attempt", dotted=True)
        return node

    def wait(self, step: ir.WaitStep, exits: list[Exit]) -> list[Exit]:
        node = self.node(
            self.id("s_", step.name), ">|]", step.name, f"wait for {step.signal}"
        )
        self.follow(exits, node)
        signal: Exit = (node, f"signal {step.signal}")
        if step.timeout is None:
            return [signal]
        timeout = f"timeout {format_duration(step.timeout)}"
        if step.on_timeout == "continue":
            return [signal, (node, timeout)]
        if step.on_timeout == "compensate" and self.undo:
            self.edge(node, self.undo[-1], timeout)
        else:
            self.fails = True
            self.edge(node, self.id("failed"), timeout)
        return [signal]

    def parallel(self, step: ir.ParallelStep, exits: list[Exit]) -> list[Exit]:
        group = self.id("p_", step.name)
        block: list[str] = []
        branches = [self.run(branch, into=block) for branch in step.branches]
        self.nodes += [
            f"    subgraph {group} [{label(f'parallel {step.name}')}]",
            "      direction LR",
            *block,
            "    end",
        ]
        for node in branches:
            self.follow(exits, node)
        return [(node, "") for node in branches]
