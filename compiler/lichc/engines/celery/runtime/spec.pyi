# What the runtime reads from the generated `spec.py` (templates/celery_runtime_spec.py.jinja):
# the values of the jobs file, and the project's app and settings. A test
# checks that the rendered module binds exactly these names.

from celery import Celery

PROJECT: str
KEY_PREFIX: str
CLAIM_PENDING_TTL: float
CLAIM_TTL: int
SOFT_LIMIT_MARGIN: float
DEAD_LETTER_RETENTION: dict[str, float]
DEFAULT_RETENTION: float

def app() -> Celery: ...
def broker_url() -> str: ...
def result_backend_url() -> str: ...
