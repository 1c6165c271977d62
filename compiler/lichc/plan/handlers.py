"""Does each handler exist and take the arguments its job passes? Read from
the handler's source, never run.

`lichc validate` and `lichc build` report a mismatch at the `run:` key, since
the worker would otherwise stay down (a missing function) or fail every call
with a TypeError. The check never changes generated output. It finds a module
the way import would, from the spec's folder and then sys.path, but reads the
file instead of importing it, so user code never runs and its dependencies
need not be installed where lichc runs. What it cannot see is not reported: a
module it cannot find (say, installed only where the workers run), a name
bound by an import or assignment, a decorated function (a decorator may change
the signature). The worker's start-up check covers those when it starts.

A parameter named `context` that no argument fills is not missing: the
generated code passes a JobContext to it (docs/handlers.md).
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lichc.diagnostics import Diagnostic, did_you_mean
from lichc.plan.ir import HandlerCall, Plan, handler_calls

CONTEXT = "context"  # the parameter generated code fills with a JobContext


@dataclass(frozen=True)
class _Module:
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
    other_names: frozenset[str]  # bound some other way: not checked
    open_ended: bool  # `__getattr__` or a star import: any name may exist


def check(plan: Plan, root: Path) -> list[Diagnostic]:
    """The handler mismatches of every job, located at their `run:` keys."""
    # absolute: import's finder caches are keyed by the path text
    search = (str(root.resolve()), *(os.path.abspath(p or ".") for p in sys.path))
    modules: dict[str, _Module | None] = {}
    found: list[Diagnostic] = []
    for job in plan.jobs:
        for call in handler_calls(job):
            module = call.handler.module
            if module == "builtins":
                continue
            if module not in modules:
                modules[module] = _read(module, search)
            if (info := modules[module]) is not None:
                found.extend(_problems(call, info))
    return found


def _problems(call: HandlerCall, module: _Module) -> Iterator[Diagnostic]:
    ref, name = call.handler, call.handler.name
    function = module.functions.get(name)
    if function is None:
        if name not in module.other_names and not module.open_ended:
            hint = did_you_mean(name, module.functions) or (
                f"define `def {name}(...)` in {ref.module}, or fix the name"
            )
            yield _at(call, f"{ref.module} has no function {name}", hint)
        return
    if function.decorator_list:
        return
    yield from _signature_problems(call, function.args)


def _at(call: HandlerCall, message: str, hint: str) -> Diagnostic:
    """A problem of the call, pointing at the `run:` key that names the handler."""
    return Diagnostic(message, call.path, hint, on_key=True)


def _signature_problems(call: HandlerCall, args: ast.arguments) -> Iterator[Diagnostic]:
    ref = call.handler
    by_keyword = [a.arg for a in (*args.args, *args.kwonlyargs)]
    required = _required(args)
    keywords = list(call.keywords)
    if "heartbeat" in by_keyword:
        if call.heartbeat:
            keywords.append("heartbeat")
        elif "heartbeat" in required:
            yield _at(
                call,
                f"{ref} takes a `heartbeat` callback, but this job has no "
                "`heartbeat:` setting, so it would be called without one",
                "add `heartbeat: 30s` (say) to the step, or give the parameter "
                "a default",
            )
            required.remove("heartbeat")
    if CONTEXT in by_keyword and CONTEXT not in keywords:
        keywords.append(CONTEXT)  # given a JobContext, unless an argument fills it
    args_key = "the job's `args:`" if call.single else "the step's `args:`"
    missing = [p for p in required if p not in keywords]
    if missing:
        yield _at(
            call,
            f"{ref} needs {_listed(missing)}, which the job never passes",
            f"add them to the job's `input:` or {args_key}, "
            "or give the parameters defaults",
        )
    unexpected = [k for k in keywords if k not in by_keyword]
    if unexpected and args.kwarg is None:
        yield _at(
            call,
            f"{ref} takes no {_listed(unexpected)}, which the job passes",
            "add the parameters (or **kwargs) to the handler, or list "
            f"what it takes in {args_key}",
        )
    yield from _literal_problems(call, args)


# the annotations a literal is checked against, and what each takes (a
# literal of another type is reported; any other annotation is not checked)
_TAKES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}


def _literal_problems(call: HandlerCall, args: ast.arguments) -> Iterator[Diagnostic]:
    """A literal of `args` a plainly annotated parameter (`x: int`) cannot take."""
    params = {a.arg: a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    for name, value, path in call.literals:
        param = params.get(name)
        note = param.annotation if param is not None else None
        if isinstance(note, ast.Constant) and isinstance(note.value, str):
            kind = note.value.strip()  # a quoted annotation
        elif isinstance(note, ast.Name):
            kind = note.id
        else:
            continue
        takes = _TAKES.get(kind)
        if takes is None or value is None:
            continue
        fits = isinstance(value, takes) and not (
            isinstance(value, bool) and bool not in takes
        )
        if not fits:
            yield Diagnostic(
                f"{call.handler} takes {name}: {kind}, not the "
                f"{type(value).__name__} literal {value!r}",
                path,
                "change the literal, or the parameter's annotation",
            )


def _required(args: ast.arguments) -> list[str]:
    """Parameters without a default, in order (positional-only ones too: the
    handler is called with keywords only, so nothing can fill them)."""
    positional = [*args.posonlyargs, *args.args]
    with_default = len(args.defaults)
    cut = len(positional) - with_default
    names = [a.arg for a in positional[:cut]]
    names += [
        a.arg
        for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is None
    ]
    return names


def _listed(names: list[str]) -> str:
    quoted = ", ".join(f"'{n}'" for n in names)
    return f"argument {quoted}" if len(names) == 1 else f"arguments {quoted}"


def _read(module: str, search: tuple[str, ...]) -> _Module | None:
    path = _module_file(module, search)
    if path is None:
        return None
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    other: set[str] = set()
    open_ended = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions[node.name] = node  # the last definition wins, as in Python
            open_ended |= node.name == "__getattr__"
        elif isinstance(node, ast.ImportFrom) and any(
            a.name == "*" for a in node.names
        ):
            open_ended = True
        else:
            other |= _bound_names(node)
    other -= set(functions)
    return _Module(functions, frozenset(other), open_ended)


def _bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement other than a def may bind (generously:
    anything it stores to, anywhere inside it)."""
    names: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.add(inner.id)
        elif isinstance(inner, ast.alias):
            names.add((inner.asname or inner.name).split(".")[0])
        elif isinstance(inner, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(inner.name)
    return names


def _module_file(module: str, search: tuple[str, ...]) -> Path | None:
    """The source file of a dotted module, found like import would, never run."""
    locations = list(search)
    spec = None
    for depth in range(len(module.split("."))):
        name = ".".join(module.split(".")[: depth + 1])
        spec = importlib.machinery.PathFinder.find_spec(name, locations)
        if spec is None:
            return None
        locations = list(spec.submodule_search_locations or [])
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)
