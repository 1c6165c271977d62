"""Hypothesis strategies for jobs.yaml specs full of hostile strings.

Every free-text value (descriptions, input defaults, literal args, id text,
schedule inputs, `${NAME:-default}` defaults, namespaces) is drawn from
pieces that break naive code generators: quotes, triple quotes, backslashes,
newlines, Jinja and `${}` syntax, `#`, unicode (RTL, bidi controls,
combining marks, astral characters), NUL and other control characters, and
very long runs. Each also carries CANARY, an identifier-like word that must
only ever appear inside string literals of the generated code.

Names (jobs, steps, fields, signals, queues, project, handlers) are valid,
drawn from their patterns and from words the generated code itself uses
(`app`, `uuid`, `context`, `Field`...), so that a name colliding with the
generator's own vocabulary is tried too. Steps of most jobs get `if:`
conditions whose quoted texts are hostile, and `end` steps with hostile
results and fail messages (harness/hostile_control.py). With `invalid=True`
a draw also applies one mutation that must be refused (among them a broken
condition: a call, an attribute, a lambda, an f-string...), and records the
key path the error has to point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hypothesis import strategies as st

from harness.hostile_control import broken_condition, condition, end_step
from harness.hostile_values import (
    BAD_NAME_TAILS,
    CANARY,
    CRONS,
    EXCEPTIONS,
    TIMEZONES,
    field_names,
    handlers,
    hostile_text,
    job_names,
    project_names,
    queue_names,
    snake_names,
)
from lichc.fileformat.names import to_snake

# -- specs ----------------------------------------------------------------------


@dataclass
class Drawn:
    """A spec and, when it was made invalid on purpose, where the error must point."""

    spec: dict[str, Any]
    error_at: tuple[Any, ...] | None = None
    mutation: str | None = None


def _default(draw: st.DrawFn, kind: str) -> Any:
    if kind == "str":
        return draw(hostile_text())
    if kind == "str?":
        return draw(st.none() | hostile_text())
    if kind == "int":
        return draw(st.integers(-(2**63), 2**63))
    if kind == "float":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if kind == "bool":
        return draw(st.booleans())
    if kind == "list[str]":
        return draw(st.lists(hostile_text(), max_size=3))
    assert kind == "dict"
    return draw(
        st.dictionaries(
            hostile_text(),
            hostile_text() | st.lists(hostile_text(), max_size=2) | st.integers(),
            max_size=3,
        )
    )


TYPES = ["str", "str?", "int", "float", "bool", "list[str]", "dict"]


@st.composite
def _inputs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(field_names, unique=True, max_size=4))
    inputs: dict[str, Any] = {}
    for name in names:
        kind = draw(st.sampled_from(TYPES))
        if draw(st.booleans()):
            inputs[name] = kind
            continue
        entry: dict[str, Any] = {"type": kind}
        if draw(st.booleans()):
            entry["default"] = _default(draw, kind)
        if draw(st.booleans()):
            entry["description"] = draw(hostile_text())
        inputs[name] = entry
    return inputs


def field_type(entry: Any) -> str:
    return str(entry if isinstance(entry, str) else entry["type"])


def has_default(entry: Any) -> bool:
    return isinstance(entry, dict) and "default" in entry


def required(entry: Any) -> bool:
    return not has_default(entry) and not field_type(entry).endswith("?")


@st.composite
def _id(draw: st.DrawFn, inputs: dict[str, Any]) -> str:
    usable = [n for n, e in inputs.items() if field_type(e) in ("str", "int")]
    parts = [draw(hostile_text(printable=True, bad="{}"))[:60]]
    for name in draw(st.lists(st.sampled_from(usable), max_size=2)) if usable else []:
        parts.append("{" + name + "}")
        parts.append(draw(hostile_text(printable=True, bad="{}"))[:40])
    return "".join(parts)[:200] if len("".join(parts)) <= 200 else parts[0]


def _literal(draw: st.DrawFn) -> Any:
    """A literal argument: never contains `${` (only whole references may)."""
    clean = hostile_text().map(lambda t: t.replace("${", "$ {"))
    return draw(
        clean
        | st.lists(clean, max_size=2)
        | st.dictionaries(clean, clean, max_size=2)
        | st.integers()
        | st.none()
    )


@st.composite
def _args(
    draw: st.DrawFn, inputs: dict[str, Any], earlier: list[str]
) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    names = draw(st.lists(field_names, unique=True, max_size=3))
    args: dict[str, Any] = {}
    for name in names:
        choice = draw(st.integers(0, 2))
        if choice == 0 and inputs:
            args[name] = "${input." + draw(st.sampled_from(sorted(inputs))) + "}"
        elif choice == 1 and earlier:
            ref = draw(st.sampled_from(earlier))
            tail = draw(st.sampled_from(["", ".id", ".by"]))
            args[name] = "${steps." + ref + tail + "}"
        else:
            args[name] = _literal(draw)
    return args


@st.composite
def _run_step(
    draw: st.DrawFn,
    name: str,
    inputs: dict[str, Any],
    earlier: list[str],
    temporal: bool,
) -> dict[str, Any]:
    step: dict[str, Any] = {"name": name, "run": draw(handlers)}
    if draw(st.booleans()):
        step["description"] = draw(hostile_text())
    if draw(st.booleans()):
        step["queue"] = draw(queue_names)
    args = draw(_args(inputs, earlier))
    if args is not None:
        step["args"] = args
    if draw(st.booleans()):
        key = draw(st.sampled_from(["non_retryable", "retry_on"]))
        step["retry"] = {
            key: draw(
                st.lists(
                    st.sampled_from(EXCEPTIONS), min_size=1, max_size=2, unique=True
                )
            )
        }
    if temporal and draw(st.integers(0, 3)) == 0:
        step["heartbeat"] = "10s"
    if temporal and draw(st.booleans()):
        compensate: dict[str, Any] = {"run": draw(handlers)}
        comp_args = draw(_args(inputs, [*earlier, name]))
        if comp_args is not None:
            compensate["args"] = comp_args
        step["compensate"] = compensate
    return step


def _guarded(
    draw: st.DrawFn,
    step: dict[str, Any],
    control: str | None,
    earlier: list[str],
    temporal: bool,
) -> dict[str, Any]:
    """`step`, now and then under a hostile condition on the str field `control`."""
    if control is None or draw(st.integers(0, 2)) != 0:
        return step
    name = step.pop("name")
    written = draw(condition(control, earlier, negated=not temporal))
    return {"name": name, "if": written, **step}


@st.composite
def _steps(
    draw: st.DrawFn, inputs: dict[str, Any], temporal: bool, control: str | None
) -> list[Any]:
    """Steps of a job; with `control` (a str input field), conditions on some
    and end steps among them."""
    names = draw(st.lists(snake_names, unique=True, min_size=1, max_size=5))
    steps: list[Any] = []
    earlier: list[str] = []  # steps with a result
    signals: set[str] = set()
    used = set(names)
    for i, name in enumerate(names):
        last = i == len(names) - 1
        kind = draw(
            st.sampled_from(
                ["run", "run", "sleep", "parallel"]
                + (["wait_for"] if temporal else [])
                + (["end", "end"] if control else [])
            )
        )
        if not temporal and last and (not earlier or kind == "sleep"):
            # a Celery chain needs something to run, and a sleep is the
            # countdown of the step after it: it cannot come last
            kind = "run"
        before = list(earlier)  # what this step's condition may read
        if kind == "end":
            assert control is not None
            end = draw(end_step(name, control, earlier))
            # an end step without `if` can only be the last one
            if not last or draw(st.integers(0, 2)) != 0:
                end = {"name": name, "if": draw(condition(control, before)), **end}
            steps.append(end)
        elif kind == "sleep":
            steps.append({"name": name, "sleep": "1s"})
        elif kind == "wait_for":
            signal = draw(snake_names.filter(lambda s: s not in signals and s != "l"))
            signals.add(signal)
            wait: dict[str, Any] = {"signal": signal}
            if draw(st.booleans()):
                wait.update(
                    timeout="1h",
                    on_timeout=draw(
                        st.sampled_from(["fail", "continue", "compensate"])
                    ),
                )
            steps.append({"name": name, "wait_for": wait})
            earlier.append(name)
        elif kind == "parallel":
            branch_names = draw(
                st.lists(
                    snake_names.filter(lambda s: s not in used),
                    unique=True,
                    min_size=1,
                    max_size=3,
                )
            )
            used.update(branch_names)
            branches = [
                _guarded(
                    draw,
                    draw(_run_step(b, inputs, earlier, temporal)),
                    control,
                    before,
                    temporal,
                )
                for b in branch_names
            ]
            steps.append({"name": name, "parallel": branches})
            earlier.extend(branch_names)
        else:
            steps.append(draw(_run_step(name, inputs, earlier, temporal)))
            earlier.append(name)
        if kind != "end" and (temporal or kind != "sleep"):
            # on Celery a sleep with `if` is refused (it is the next task's countdown)
            steps[-1] = _guarded(draw, steps[-1], control, before, temporal)
        if draw(st.integers(0, 4)) == 0:
            steps[-1]["description"] = draw(hostile_text())
    return steps


def _control(
    draw: st.DrawFn, job: dict[str, Any], inputs: dict[str, Any]
) -> str | None:
    """The str field conditions compare (added if the job has none), in two
    jobs with steps out of three; None for the others."""
    if draw(st.integers(0, 2)) == 0:
        return None
    texts = sorted(n for n, e in inputs.items() if field_type(e) in ("str", "str?"))
    if texts and draw(st.integers(0, 3)) != 0:
        return draw(st.sampled_from(texts))
    name = draw(field_names.filter(lambda n: n not in inputs))
    inputs[name] = draw(st.sampled_from(["str", {"type": "str"}]))
    job["input"] = inputs
    return name


@st.composite
def _schedule(draw: st.DrawFn, inputs: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, entry in inputs.items():
        if required(entry) or draw(st.booleans()):
            values[name] = _default(draw, field_type(entry))
    schedule: dict[str, Any] = {"cron": draw(st.sampled_from(CRONS))}
    if draw(st.booleans()):
        schedule["timezone"] = draw(st.sampled_from(TIMEZONES))
    if values:
        schedule["input"] = values
    return schedule


@st.composite
def _job(draw: st.DrawFn, engine: str) -> dict[str, Any]:
    temporal = engine == "temporal"
    inputs = draw(_inputs())
    job: dict[str, Any] = {"engine": engine}
    if draw(st.booleans()):
        job["description"] = draw(hostile_text())
    if draw(st.booleans()):
        job["queue"] = draw(queue_names)
    if inputs:
        job["input"] = inputs
    if draw(st.booleans()):
        job["id"] = draw(_id(inputs))
    if draw(st.booleans()):
        job["run"] = draw(handlers)
        if draw(st.booleans()):
            exceptions = st.lists(
                st.sampled_from(EXCEPTIONS), min_size=1, max_size=2, unique=True
            )
            job["retry"] = {"non_retryable": draw(exceptions)}
    else:
        job["steps"] = draw(_steps(inputs, temporal, _control(draw, job, inputs)))
    if not temporal and draw(st.integers(0, 2)) == 0:
        job["dead_letter"] = draw(
            st.just(True) | st.builds(lambda q: {"queue": q}, queue_names)
        )
    if draw(st.integers(0, 2)) == 0:
        job["schedule"] = draw(st.lists(_schedule(inputs), min_size=1, max_size=2))
    return job


def _env_default(draw: st.DrawFn) -> str:
    return draw(hostile_text(printable=True, bad="}"))


def _host_default(draw: st.DrawFn) -> str:
    """A hostile default that still leaves a URL Python can split."""
    text = draw(hostile_text(printable=True, bad="}[]"))
    try:
        urlsplit("redis://" + text)
    except ValueError:  # characters NFKC turns into URL delimiters
        text = "".join(ch for ch in text if ch.isascii())
    return text


@st.composite
def _settings(draw: st.DrawFn) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    broker = draw(st.integers(0, 2))
    if broker == 1:
        settings.setdefault("celery", {})["broker"] = (
            "${BROKER_URL:-redis://" + _host_default(draw) + "}"
        )
    elif broker == 2:
        settings.setdefault("celery", {})["broker"] = (
            "redis://${BROKER_HOST:-" + _host_default(draw) + "}:6379/0"
        )
    if draw(st.booleans()):
        plain = draw(hostile_text(printable=True)).replace("${", "$ {")
        settings.setdefault("temporal", {})["namespace"] = draw(
            st.sampled_from(["${NAMESPACE:-" + _env_default(draw) + "}", plain])
        )
    if draw(st.booleans()):
        settings.setdefault("temporal", {})["address"] = (
            "${TEMPORAL_HOST:-" + _env_default(draw) + "}"
        )
    if draw(st.booleans()):
        settings.setdefault("temporal", {})["api_key"] = "${TEMPORAL_API_KEY}"
    return settings


@st.composite
def specs(draw: st.DrawFn, *, invalid: bool = False) -> Drawn:
    """A spec mixing Celery and Temporal jobs; one mutation if `invalid`."""
    names = draw(st.lists(job_names, min_size=1, max_size=4, unique_by=to_snake))
    jobs = {}
    for i, name in enumerate(names):
        engine = "celery" if i % 2 == 0 else "temporal"
        if len(names) == 1:
            engine = draw(st.sampled_from(["celery", "temporal"]))
        jobs[name] = draw(_job(engine))
    spec: dict[str, Any] = {"version": 1, "project": draw(project_names)}
    spec.update(draw(_settings()))
    spec["jobs"] = jobs
    drawn = Drawn(spec)
    if invalid:
        _mutate(draw, drawn)
    return drawn


def _bad_name(draw: st.DrawFn, base: str, allowed: str = "") -> str:
    """`base` and a tail the name's pattern refuses (`allowed`: characters the
    pattern accepts besides letters, digits and `_`)."""
    tails = [t for t in BAD_NAME_TAILS if not set(t) <= set(allowed + "x")]
    return base + draw(st.sampled_from(tails))


def _mutate(draw: st.DrawFn, drawn: Drawn) -> None:
    """Break one value on purpose, in a way the spec says must be refused."""
    spec = drawn.spec
    jobs: dict[str, Any] = spec["jobs"]
    stepped = sorted(n for n, j in jobs.items() if j.get("steps"))
    if stepped and draw(st.integers(0, 2)) == 2:
        # a condition that is no condition: refused at the step's `if`
        name = draw(st.sampled_from(stepped))
        steps = jobs[name]["steps"]
        at = draw(st.integers(0, len(steps) - 1))
        steps[at] = {"name": steps[at]["name"], "if": draw(broken_condition())} | {
            k: v for k, v in steps[at].items() if k not in ("name", "if")
        }
        drawn.mutation = "condition"
        drawn.error_at = ("jobs", name, "steps", at, "if")
        return
    name = draw(st.sampled_from(sorted(jobs)))
    job = jobs[name]
    runs = [(i, s) for i, s in enumerate(job.get("steps", [])) if "run" in s]
    waits = [(i, s) for i, s in enumerate(job.get("steps", [])) if "wait_for" in s]
    choices = [
        "job name",
        "project",
        "queue",
        "id",
        "handler",
        "env",
        "cron",
        "timezone",
    ]
    if job.get("input"):
        choices.append("field name")
    if job.get("steps"):
        choices.append("step name")
    if runs:
        choices.append("literal arg")
    if waits:
        choices.append("signal")
    kind = draw(st.sampled_from(choices))
    drawn.mutation = kind
    if kind == "job name":
        bad = _bad_name(draw, name)
        spec["jobs"] = {bad if k == name else k: v for k, v in jobs.items()}
        drawn.error_at = ("jobs",)
    elif kind == "project":
        spec["project"] = _bad_name(draw, "jobs")
        drawn.error_at = ("project",)
    elif kind == "queue":
        job["queue"] = _bad_name(draw, "q", allowed="-.")
        drawn.error_at = ("jobs", name, "queue")
    elif kind == "id":
        job["id"] = draw(hostile_text()) + draw(
            st.sampled_from(["{", "}", "\x00", "\n", "{not a field!}"])
        )
        drawn.error_at = ("jobs", name, "id")
    elif kind == "handler":
        key = "run" if "run" in job else None
        junk = draw(st.sampled_from(["", " ", ":", "os.system('id')", "\n", "/"]))
        if key:
            job["run"] = draw(handlers) + junk + "(x)"
            drawn.error_at = ("jobs", name, "run")
        else:
            i, step = draw(st.sampled_from(runs)) if runs else (None, None)
            if step is None:
                job["steps"].append({"name": "zz", "run": "a.b:c(" + junk})
                drawn.error_at = ("jobs", name, "steps", len(job["steps"]) - 1)
            else:
                step["run"] = "a..b:" + junk
                drawn.error_at = ("jobs", name, "steps", i, "run")
    elif kind == "env":
        spec.setdefault("celery", {})["broker"] = (
            "${REDIS_URL:-redis://x"
            + draw(st.sampled_from(["\x00", "\n", "\x1b", "\u202e", "\u2028"]))
            + "}"
        )
        drawn.error_at = ("celery", "broker")
    elif kind == "cron":
        job["schedule"] = {
            "cron": draw(st.sampled_from(CRONS))
            + " "
            + draw(hostile_text()).replace("\n", "")
            + " ;x"
        }
        job.pop("input", None)
        drawn.error_at = ("jobs", name, "schedule")
    elif kind == "timezone":
        job["schedule"] = {"cron": "0 3 * * *", "timezone": draw(hostile_text())}
        job.pop("input", None)
        drawn.error_at = ("jobs", name, "schedule")
    elif kind == "field name":
        inputs = job["input"]
        old = draw(st.sampled_from(sorted(inputs)))
        bad = _bad_name(draw, old)
        job["input"] = {bad if k == old else k: v for k, v in inputs.items()}
        drawn.error_at = ("jobs", name, "input")
    elif kind == "step name":
        i = draw(st.integers(0, len(job["steps"]) - 1))
        job["steps"][i]["name"] = _bad_name(draw, "step")
        drawn.error_at = ("jobs", name, "steps", i)
    elif kind == "literal arg":
        i, step = draw(st.sampled_from(runs))
        step.setdefault("args", {})["zz"] = draw(hostile_text()) + "${" + CANARY + "}"
        drawn.error_at = ("jobs", name, "steps", i, "args")
    else:
        i, step = draw(st.sampled_from(waits))
        step["wait_for"]["signal"] = _bad_name(draw, "sig")
        drawn.error_at = ("jobs", name, "steps", i, "wait_for", "signal")
