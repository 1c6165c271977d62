"""Every engine lichc generates for, in `engine: auto`'s order of preference:
auto takes the first one built for everything a job uses."""

from __future__ import annotations

from lichc.engines import EngineInfo
from lichc.engines.celery.engine import CELERY
from lichc.engines.temporal.engine import TEMPORAL

ENGINES: tuple[EngineInfo, ...] = (CELERY, TEMPORAL)
NAMES: tuple[str, ...] = tuple(e.name for e in ENGINES)
_BY_NAME = {e.name: e for e in ENGINES}


def engine(name: str) -> EngineInfo:
    return _BY_NAME[name]
