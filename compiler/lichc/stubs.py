"""Handler stubs for `lichc new`: only the functions a module does not have yet.

The module is parsed with `ast` to see which names it already binds (a
function, a class, an import, an assignment), and stubs are appended for
the others. Nothing already in the file is changed; a module that does not
parse is left alone.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from lichc.render.pysource import py_str


class StubError(Exception):
    """The handler module cannot be extended safely."""


@dataclass(frozen=True, slots=True)
class Stub:
    function: str
    summary: str  # first docstring line


@dataclass
class StubPlan:
    path: Path
    text: str  # the module's full new text
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already defined by the user
    packages: list[Path] = field(default_factory=list)  # new __init__.py files

    @property
    def changed(self) -> bool:
        return bool(self.added)


def module_path(root: Path, module: str) -> Path:
    """Where `module` lives under `root`: a .py file, or a package's __init__.py."""
    base = root.joinpath(*module.split("."))
    package = base / "__init__.py"
    return package if package.is_file() else base.with_suffix(".py")


def plan(root: Path, module: str, job: str, stubs: list[Stub]) -> StubPlan:
    path = module_path(root, module)
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError) as exc:
        raise StubError(f"cannot read {path}: {exc}") from None
    bound = _bound_names(path, current) if current is not None else set()
    result = StubPlan(path, current or "")
    result.kept = [s.function for s in stubs if s.function in bound]
    missing = [s for s in stubs if s.function not in bound]
    result.added = [s.function for s in missing]
    if not missing:
        return result
    defs = "\n\n".join(_stub(job, s) for s in missing)
    if current is None:
        result.text = (
            _module_doc(job) + "from __future__ import annotations\n\n\n" + defs
        )
        result.packages = _new_packages(root, path)
    else:
        result.text = current + _separator(current) + defs
    return result


def _stub(job: str, stub: Stub) -> str:
    return (
        f"def {stub.function}() -> None:\n"
        f'    """{stub.summary}"""\n'
        f"    raise NotImplementedError({py_str(f'{job}: {stub.function}')})\n"
    )


def _module_doc(job: str) -> str:
    return (
        f'"""Handlers of {job}, called by the code lichc generates from jobs.yaml.\n'
        "\n"
        "Plain functions: each gets the job's input fields as keyword arguments\n"
        "(or its step's `args`) and returns a JSON-serialisable value.\n"
        '"""\n\n'
    )


def _separator(text: str) -> str:
    """Newlines that leave exactly two blank lines before the first new function."""
    if not text.strip():
        return ""
    stripped = text.rstrip("\n")
    present = len(text) - len(stripped)
    return "\n" * max(0, 3 - present)


def _new_packages(root: Path, path: Path) -> list[Path]:
    """__init__.py for each folder between root and the module that does not exist."""
    created = []
    folder = path.parent
    while folder != root and root in folder.parents and not folder.exists():
        created.append(folder / "__init__.py")
        folder = folder.parent
    return list(reversed(created))


def _bound_names(path: Path, text: str) -> set[str]:
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise StubError(
            f"{path}:{exc.lineno or 1}: cannot parse it ({exc.msg}); "
            "fix it or pick another module with --module"
        ) from None
    try:
        return _names(tree.body)
    except _StarImport as star:
        raise StubError(
            f"{path}:{star.line}: `import *` hides which functions exist; "
            "add the handlers by hand or pick another module with --module"
        ) from None


_BLOCKS = (ast.If, ast.Try, ast.TryStar, ast.With, ast.For, ast.While)


def _names(body: list[ast.stmt]) -> set[str]:
    """Names a module binds at top level, also inside if/try/with/for blocks."""
    found: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    raise _StarImport(node.lineno)
                found.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update(
                n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
            )
        elif isinstance(node, _BLOCKS):
            for block in ("body", "orelse", "finalbody"):
                found |= _names(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                found |= _names(handler.body)
    return found


class _StarImport(Exception):
    def __init__(self, line: int) -> None:
        self.line = line
