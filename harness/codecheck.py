"""Checks on generated Python source: where text from jobs.yaml may end up.

- `canary_outside_strings`: a marker word planted in every free-text value
  may appear only inside string tokens, never as code or in a comment.
- `identifiers` / `Vocabulary`: every identifier of a generated module is a
  word of lichc's own templates or a name validated from the spec (or made
  of them, like `start_send_email` or `PROCESS_ORDER_CHARGE`).
- `shadowed_names`: inside a function, a parameter named after an input
  field never hides a name the generated code itself means (a module, the
  Celery app, a builtin), and a local the code assigns never hides a
  parameter it still means to pass on.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

import lichc

LICHC = Path(lichc.__file__).resolve().parent  # its templates are the vocabulary
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def canary_outside_strings(source: str, canary: str) -> list[str]:
    """Tokens other than strings that contain `canary` (comments included)."""
    if canary not in source:
        return []
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    found = [
        f"{tokenize.tok_name[t.type]} at {t.start}"
        for t in tokens
        if canary in t.string and t.type != tokenize.STRING
    ]
    in_strings = sum(
        t.string.count(canary) for t in tokens if t.type == tokenize.STRING
    )
    if source.count(canary) != in_strings:
        found.append("the canary appears outside every token")
    return found


def identifiers(tree: ast.AST) -> Iterator[str]:
    """Every identifier the module spells: names, attributes, parameters,
    keywords, definitions and imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.arg):
            yield node.arg
        elif isinstance(node, ast.keyword):
            yield from [node.arg] if node.arg is not None else []
        elif isinstance(node, ast.alias):
            yield from node.name.split(".")
            if node.asname is not None:
                yield node.asname
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield from node.module.split(".")
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name


@cache
def template_words() -> frozenset[str]:
    """Identifiers in lichc's templates and in the code strings its backends build."""
    words: set[str] = set()
    # templates, and the runtime modules copied verbatim beside them
    runtimes = [
        *LICHC.glob("engines/*/runtime/*.py"),
        *LICHC.glob("render/*/runtime/*.py"),
    ]
    for path in [*LICHC.rglob("*.jinja"), *runtimes]:
        words.update(IDENT.findall(path.read_text(encoding="utf-8")))
    sources = [*(LICHC / "engines").rglob("*.py"), *(LICHC / "render").rglob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.update(IDENT.findall(node.value))
    # the annotations of input types (TypeExpr.python())
    words.update(["str", "int", "float", "bool", "dict", "list", "Any", "None"])
    return frozenset(words)


class Vocabulary:
    """What an identifier in generated code may be made of: exactly a template
    word or a validated name, or words of three letters and more and names
    joined up (`start_send_email`, `PROCESS_ORDER_CHARGE`, `tem_s1_2`,
    `JobSendDay0Args`)."""

    def __init__(self, names: frozenset[str]) -> None:
        self.exact = names | template_words()
        words = {w.lower() for w in template_words() if len(w) >= 3}
        # a name as it is, or in PascalCase (`send_day_0` in `JobSendDay0Args`)
        spelt = {n.lower() for n in names} | {n.lower().replace("_", "") for n in names}
        self.atoms = sorted(words | spelt, key=len, reverse=True)
        self.known: dict[str, bool] = {}

    def allows(self, ident: str) -> bool:
        if ident in self.exact:
            return True
        if ident.startswith("__"):
            return False  # dunders only as the templates spell them
        return self._joined(ident.lower())

    def _joined(self, rest: str) -> bool:
        if rest not in self.known:
            self.known[rest] = self._split(rest)
        return self.known[rest]

    def _split(self, rest: str) -> bool:
        if not rest:
            return True
        if rest[0] == "_":
            return self._joined(rest[1:])
        digits = re.match(r"\d+", rest)
        if digits:
            return self._joined(rest[digits.end() :])
        return any(
            rest.startswith(atom) and self._joined(rest[len(atom) :])
            for atom in self.atoms
        )


# -- shadowing ------------------------------------------------------------------------


@lru_cache(maxsize=1)  # shadowed_names and hidden_imports of one module share it
def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {
        child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
    }


def _outside(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[ast.AST]:
    """Nodes of a function that its own scope does not evaluate: annotations
    (types, for the type checker), decorators and default values (evaluated
    where the function is defined)."""
    roots: list[ast.AST | None] = [
        *function.decorator_list,
        *function.args.defaults,
        *function.args.kw_defaults,
    ]
    for node in ast.walk(function):
        if isinstance(node, ast.arg | ast.AnnAssign):
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            roots.append(node.returns)
    return {inner for root in roots if root is not None for inner in ast.walk(root)}


# Engine calls whose keywords are options (`task_id=`, `id=`), never a field.
_OPTION_CALLS = frozenset(["send_task", "apply_async", "signature", "_start"])


def _passes_on(name: ast.Name, parent: ast.AST, call: ast.AST | None) -> bool:
    """`f=f`, `{"f": f}`, `x["f"] = f`, `f is not None`: the parameter's value
    itself (`call`: the call a keyword belongs to)."""
    if isinstance(parent, ast.keyword):
        callee = ""
        if isinstance(call, ast.Call):
            callee = ast.unparse(call.func).rsplit(".", 1)[-1]
        return parent.arg == name.id and callee not in _OPTION_CALLS
    if isinstance(parent, ast.Dict):
        index = next((i for i, v in enumerate(parent.values) if v is name), None)
        key = parent.keys[index] if index is not None else None
        return isinstance(key, ast.Constant) and key.value == name.id
    if isinstance(parent, ast.Assign) and parent.value is name:
        target = parent.targets[0]
        return (
            isinstance(target, ast.Subscript)
            and isinstance(target.slice, ast.Constant)
            and target.slice.value == name.id
        )
    if isinstance(parent, ast.Compare):
        return parent.left is name and all(
            isinstance(op, ast.Is | ast.IsNot) for op in parent.ops
        )
    return False


def shadowed_names(tree: ast.Module, mirrors: dict[str, set[str]]) -> list[str]:
    """Places where a parameter from the spec and the code's own name collide.

    `mirrors` maps the functions whose parameters mirror input fields or
    args to those names.
    """
    problems: list[str] = []
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name in mirrors
    ]
    parents = _parents(tree) if functions else {}
    for function in functions:
        arguments = function.args
        params = {
            a.arg
            for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        } & mirrors.get(function.name, set())
        if not params:
            continue
        types = _outside(function)
        stores: dict[str, list[int]] = {}
        loads: list[tuple[ast.Name, bool]] = []
        for node in ast.walk(function):  # nested defs read them too
            if not isinstance(node, ast.Name) or node.id not in params or node in types:
                continue
            if isinstance(node.ctx, ast.Store):
                statement: ast.AST = node
                while not isinstance(statement, ast.stmt):
                    statement = parents[statement]
                stores.setdefault(node.id, []).append(statement.end_lineno or 0)
            else:
                parent = parents[node]
                loads.append((node, _passes_on(node, parent, parents.get(parent))))
        for handler in ast.walk(function):
            if isinstance(handler, ast.ExceptHandler) and handler.name in params:
                stores.setdefault(handler.name, []).append(handler.lineno)
            if (
                isinstance(handler, ast.withitem)
                and isinstance(handler.optional_vars, ast.Name)
                and handler.optional_vars.id in params
            ):
                stores.setdefault(handler.optional_vars.id, []).append(
                    handler.optional_vars.lineno
                )
        for node, passes in loads:
            rebound = [line for line in stores.get(node.id, []) if line < node.lineno]
            where = f"{function.name}() line {node.lineno}: {node.id!r}"
            if passes and rebound:
                problems.append(f"{where} passes on a value the code rebound")
            elif not passes and not rebound:
                problems.append(f"{where} is the spec's field, used as the code's name")
    return problems


def module_names(tree: ast.Module) -> set[str]:
    """Names bound at the top level of a module."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.With):  # imports_passed_through()
            names |= module_names(ast.Module(body=node.body, type_ignores=[]))
    return names


def hidden_imports(tree: ast.Module, modules: set[str]) -> list[str]:
    """Functions that use a name imported from one of `modules` (the spec's
    handler modules) while a parameter or local of theirs has that name."""
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in modules:
            imported |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if alias.name in modules
            }
    problems: list[str] = []
    if not imported:
        return problems
    parents = _parents(tree)
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = function.args
        bound = {
            a.arg
            for a in [
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                *filter(None, [arguments.vararg, arguments.kwarg]),
            ]
        }
        types = _outside(function)
        loaded = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node not in types:
                if isinstance(node.ctx, ast.Store):
                    bound.add(node.id)
                elif not _passes_on(node, parents[node], parents.get(parents[node])):
                    loaded.add(node.id)
        for name in sorted(bound & imported & loaded):
            problems.append(f"{function.name}(): {name!r} is imported and also bound")
    return problems
