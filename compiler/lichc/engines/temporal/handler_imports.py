"""How temporal_activities.py imports handler and exception modules, and the
expressions its code names them by."""

from __future__ import annotations

from lichc.fileformat.values import PyRef
from lichc.render.imports import Imports
from lichc.render.names import Names


class HandlerModules:
    """Import lines for handler and exception modules, and how code names them.

    `from examples.shop import orders` when the last part of the module path is
    free; otherwise `import examples.shop.orders` and the full dotted path when
    its top package is free (or imported dotted already); otherwise
    `from examples.shop import orders as orders_2`. Names come from `names`,
    the activities module's namespace.
    """

    def __init__(self, names: Names) -> None:
        self._names = names
        self._alias: dict[str, str | None] = {}  # module -> alias (None: dotted)
        self._tops: set[str] = set()  # top packages that dotted imports bind

    def expr(self, ref: PyRef) -> str:
        if ref.module == "builtins":
            return ref.name
        if ref.module not in self._alias:
            self._alias[ref.module] = self._choose(ref.module)
        alias = self._alias[ref.module]
        return f"{alias or ref.module}.{ref.name}"

    @property
    def names(self) -> Names:
        """The activities module's namespace (imports included)."""
        return self._names

    def _choose(self, module: str) -> str | None:
        last, top = module.rsplit(".", 1)[-1], module.split(".", 1)[0]
        if self._names.free(last):
            return self._names.take(last)
        if top in self._tops:
            return None  # `import a.b.c` binds `a`, which dotted imports share
        if self._names.free(top):
            self._tops.add(self._names.take(top))
            return None
        return self._names.take(last)  # suffixed: orders_2

    def import_lines(self) -> tuple[str, ...]:
        imports = Imports()
        for module, alias in self._alias.items():
            parent, _, last = module.rpartition(".")
            if alias is None or not parent:
                imports.add_module(module, alias)
            else:
                imports.add(parent, last, alias)
        return tuple(imports.lines())
