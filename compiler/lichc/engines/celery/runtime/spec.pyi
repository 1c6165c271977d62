# What the runtime reads from the generated `spec.py` (templates/celery_runtime_spec.py.jinja):
# the values of the jobs file, and the project's app and settings. A test
# checks that the rendered module binds exactly these names.

from collections.abc import Callable, Collection
from typing import Any

from celery import Celery

from lichc.render.package.runtime.context import JobContext as JobContext

PROJECT: str
KEY_PREFIX: str
CLAIM_PENDING_TTL: float
CLAIM_TTL: int
SOFT_LIMIT_MARGIN: float
DEAD_LETTER_RETENTION: dict[str, float]
DEFAULT_RETENTION: float
HANDLER_TASKS: dict[str, tuple[str, str | None]]

def app() -> Celery: ...
def broker_url() -> str: ...
def result_backend_url() -> str: ...
def job_context() -> type[JobContext]: ...
def takes_context(handler: Callable[..., Any], filled: Collection[str]) -> bool: ...
