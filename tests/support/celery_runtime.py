"""The jobs file whose rendered `spec` module the Celery runtime's unit tests
load in place of a generated one (tests/unit/conftest.py)."""

from __future__ import annotations

from lichc.engines.celery.backend import CeleryBackend
from lichc.render.renderer import environment
from tests.support.plans import plan_of

SPEC = """
    version: 1
    project: rt
    jobs:
      Brief:
        run: examples.shop.emails:send_welcome
        input: {email: str}
        dead_letter: {queue: brief, retention: 2s}
      Kept:
        run: examples.shop.emails:send_welcome
        dead_letter: {queue: kept, retention: 1h}
"""


def rendered_spec() -> str:
    files = CeleryBackend().render(plan_of(SPEC), environment())
    return files["rt/celery_runtime/spec.py"]
