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


def is_async(handler: PyRef) -> bool:
    tree = _module_tree(handler.module)
    if tree is None:
        return False
    found = False
    for node in tree.body:  # the last top-level definition wins, as in Python
        defines = isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
        if defines and getattr(node, "name", None) == handler.name:
            found = isinstance(node, ast.AsyncFunctionDef)
    return found


def _module_tree(module: str) -> ast.Module | None:
    path = _module_file(module, (str(Path.cwd()), *sys.path))
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
