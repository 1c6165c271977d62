"""What the Temporal backend needs to know about handler code, read statically.

A sync handler becomes a sync activity (run in the worker's thread pool), an
async one an async activity (awaited on the worker's event loop). lichc never
imports user code: it finds the handler's module in the current folder or on
sys.path without running it and reads whether the function is an `async def`. A handler it cannot see
(a re-export, a callable object) is treated as sync; the generated worker
checks every handler when it starts and refuses to run with a stale guess.
"""

from __future__ import annotations

import ast
import importlib.machinery
import sys
from functools import lru_cache
from pathlib import Path

from lichc.spec.values import PyRef


class Handlers:
    """Reads the handler modules of one build: each module is looked up and
    parsed once (a new build looks again: the files may have changed)."""

    def __init__(self) -> None:
        self._search = (str(Path.cwd()), *sys.path)
        self._modules: dict[str, dict[str, bool]] = {}  # function -> is async

    def is_async(self, handler: PyRef) -> bool:
        if handler.module not in self._modules:
            self._modules[handler.module] = _functions(
                _module_tree(handler.module, self._search)
            )
        return self._modules[handler.module].get(handler.name, False)


def _functions(tree: ast.Module | None) -> dict[str, bool]:
    """The module's top-level functions: is each an `async def`? The last
    definition of a name wins, as in Python."""
    if tree is None:
        return {}
    return {
        node.name: isinstance(node, ast.AsyncFunctionDef)
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
    }


def _module_tree(module: str, search: tuple[str, ...]) -> ast.Module | None:
    path = _module_file(module, search)
    if path is None:
        return None
    return _parse(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=256)
def _parse(path: Path, mtime: int) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return None


def _module_file(module: str, search: tuple[str, ...]) -> Path | None:
    """The source file of a dotted module, found like import would, never run."""
    locations: list[str] = [p or "." for p in search]
    spec = None
    parts = module.split(".")
    for depth in range(len(parts)):
        name = ".".join(parts[: depth + 1])
        spec = importlib.machinery.PathFinder.find_spec(name, locations)
        if spec is None:
            return None
        locations = list(spec.submodule_search_locations or [])
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)
