"""Print pip constraints that pin every direct dependency to its declared floor.

`pip install -c <(python .ci/floors.py) -e '.[dev]'` then installs the lowest
versions pyproject.toml allows (transitive ones resolve as usual), so CI can
prove the floors instead of trusting them. Every requirement must have a
`>=` floor (or an `==` pin, its own floor), except lichc's own extras.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(\[[^\]]*\])?(?P<spec>.*)$")


def floors(pyproject: Path) -> dict[str, str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    found: dict[str, str] = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement.replace(" ", ""))
        assert match, requirement
        name = match["name"].lower()
        if name == project["name"]:
            continue  # an extra of lichc itself
        floor = re.search(r"(?:>=|==)([0-9][0-9A-Za-z.]*)", match["spec"])
        if floor is None:
            sys.exit(f"{requirement!r} in pyproject.toml has no >= floor or == pin")
        found[name] = floor[1]
    return found


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    for name, version in sorted(floors(root / "pyproject.toml").items()):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
