"""Hostile free text and valid-but-awkward names, as Hypothesis strategies.

The pieces of harness/hostile_specs.py: every free-text value is drawn from
pieces that break naive code generators (quotes, triple quotes, backslashes,
newlines, Jinja and `${}` syntax, `#`, RTL and bidi controls, combining
marks, astral characters, NUL and other controls, very long runs) and
carries CANARY; names are valid, drawn from their patterns and from words
the generated code itself uses.
"""

from __future__ import annotations

import keyword

from hypothesis import strategies as st

from lichc.fileformat.names import input_name, project_name
from lichc.fileformat.values import SpecValueError

# from_regex imports its module lazily, on the first draw: deep inside a draw
# that import has hit CPython 3.11's "AST constructor recursion depth
# mismatch" SystemError (a flaky failure). Import it here, at the top.
st.from_regex("a", fullmatch=True).validate()

CANARY = "Zq9canary"

PIECES = [
    '"',
    "'",
    '"""',
    "'''",
    '\\"',
    "\\",
    "\\\\",
    "\\n",
    "\\x41",
    "\\N{BULLET}",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "   ",
    "{{ x }}",
    "{% if x %}",
    "{#",
    "#}",
    "${A}",
    "${A:-b}",
    "${input.x}",
    "$$",
    "#",
    "# noqa",
    "%(x)s",
    "{0}",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x0b",
    "\x0c",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u00a0",
    "\u3000",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u0301",
    "e\u0301",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u0645\u0631\u062d\u0628\u0627",
    "\U0001d518\U0001d52b",
    "\U0001f600",
    "\U0010fffd",
    "__import__('os').system('id')",
    '"); import os; os.system("id"); ("',
    "')\nimport os\n#",
    "*/ -- ;",
    "yes",
    "null",
    "~",
    "- item",
    "key: value",
    "&anchor",
    "*alias",
    "!!python/object",
    "@",
    "`",
    "|",
    ">",
]

_characters = st.characters(exclude_categories=["Cs"])
_piece = (
    st.sampled_from(PIECES)
    | st.text(_characters, min_size=1, max_size=6)
    | st.just(CANARY)
)


@st.composite
def hostile_text(draw: st.DrawFn, *, printable: bool = False, bad: str = "") -> str:
    """Free text made of hostile pieces, always with CANARY in it.

    `printable` drops what settings and ids refuse (control characters and
    other non-printables); `bad` lists characters to drop as well.
    """
    pieces = draw(st.lists(_piece, max_size=8))
    pieces.insert(draw(st.integers(0, len(pieces))), CANARY)
    if draw(st.integers(0, 9)) == 0:  # now and then a very long value
        pieces.append(draw(_piece) * draw(st.integers(200, 3000)))
    text = "".join(pieces)
    if printable:
        text = "".join(ch for ch in text if ch.isprintable() and ch not in bad)
        if CANARY not in text:
            text += CANARY
    return text


# -- names --------------------------------------------------------------------

# Words the generated code defines, imports or uses as locals: valid names
# that a careless generator would let shadow its own.
VOCABULARY = [
    "app",
    "chain",
    "chord",
    "send_once",
    "new_context",
    "str",
    "uuid",
    "timedelta",
    "orders",
    "emails",
    "self",
    "input",
    "data",
    "context",
    "job",
    "jobs",
    "result",
    "results",
    "fields",
    "client",
    "client_",
    "handle",
    "payload",
    "workflow_id",
    "task_id",
    "flow",
    "call",
    "merge",
    "with_result",
    "heartbeat",
    "error",
    "non_retryable",
    "with_heartbeat",
    "activities",
    "activity",
    "workflow",
    "settings",
    "env",
    "os",
    "id",
    "type",
    "list",
    "dict",
    "print",
    "run",
    "status",
    "match",
    "case",
]
PASCAL_VOCABULARY = [
    "Field",
    "BaseModel",
    "ConfigDict",
    "Any",
    "Exception",
    "AsyncResult",
    "Heartbeat",
    "Policy",
    "RetryPolicy",
    "JobTask",
    "Context",
    "JobRun",
    "JobStatus",
    "Client",
    "Worker",
    "Queue",
    "Celery",
    "Schedule",
    "T",
    "I",
    "R",
    "W",
    "Undo",
    # snake_case: Python keywords
    "Import",
    "Return",
    "Class",
    "Or",
    "Lambda",
    "None",
    "True",
]


def _without_canary(names: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return names.filter(lambda n: "canary" not in n.lower())


def _sometimes_long(
    short: st.SearchStrategy[str], long: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """`short`, or in one spec out of four also `long` ones (up to the limit)."""
    allowed = st.shared(st.integers(0, 3), key="long names")
    return allowed.flatmap(lambda k: short | long if k == 0 else short)


job_names = _without_canary(
    _sometimes_long(
        st.from_regex(r"[A-Z][A-Za-z0-9]{0,12}", fullmatch=True)
        | st.sampled_from(PASCAL_VOCABULARY),
        st.from_regex(r"[A-Z][A-Za-z0-9]{16,63}", fullmatch=True),
    ).filter(lambda n: n != "L")  # reads like a digit: refused
)
snake_names = _without_canary(
    _sometimes_long(
        st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
        | st.sampled_from(VOCABULARY),
        st.from_regex(r"[a-z][a-z0-9_]{16,63}", fullmatch=True),
    ).filter(lambda n: not keyword.iskeyword(n))
)


def _valid_field(name: str) -> bool:
    try:
        input_name(name)
    except SpecValueError:
        return False
    return True


field_names = _without_canary(
    _sometimes_long(
        st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True)
        | st.sampled_from(VOCABULARY + PASCAL_VOCABULARY),
        st.from_regex(r"[A-Za-z][A-Za-z0-9_]{16,63}", fullmatch=True),
    ).filter(_valid_field)
)
queue_names = _without_canary(
    _sometimes_long(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}", fullmatch=True)
        | st.sampled_from(
            ["default", "dead_letter", "True", "null", "yes", "0x1f", "1e3"]
        ),
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{16,63}", fullmatch=True),
    )
)
HANDLER_MODULES = [
    "examples.inj.orders",
    "examples.inj.app",
    "examples.inj.uuid",
    "examples.inj.workflow",
    "examples.inj.activity",
    "examples.inj.settings",
    "examples.inj.context",
    "examples.emails",
    "orders",
    "inj.jobs",
]
HANDLER_TOPS = {m.split(".")[0] for m in HANDLER_MODULES}
EXCEPTIONS = [
    "examples.inj.errors:Bad",
    "examples.inj.orders:Declined",
    "TimeoutError",
    "ValueError",
    "Exception",
]


def _valid_project(name: str) -> bool:
    try:
        project_name(name)
    except SpecValueError:
        return False
    return name not in HANDLER_TOPS


project_names = _without_canary(
    _sometimes_long(
        st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
        | st.sampled_from(["jobs", "shop", "app", "worker", "tasks", "activities"]),
        st.from_regex(r"[a-z][a-z0-9_]{16,63}", fullmatch=True),
    ).filter(_valid_project)
)
handlers = st.builds("{}:{}".format, st.sampled_from(HANDLER_MODULES), snake_names)
TIMEZONES = ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"]
CRONS = [
    "0 3 * * *",
    "*/15 * * * *",
    "0 0 1 jan,jul *",
    "30 2 * * mon-fri",
    "0\t12  * *  SUN",
    "5 4 1-7/2 * 0",
    "0\u30003 * * *",
]
# Characters a name pattern refuses, to make a name invalid on purpose.
BAD_NAME_TAILS = [
    " x",
    "-x",
    ".x",
    "\n",
    '"',
    "'",
    "(",
    ";import os",
    "\\",
    "{x}",
    "${A}",
    "#",
    "\x00",
    "\u202e",
    "\u00e9",
    "\U0001f600",
]
