"""The same handler in a task written the way the seed document does it.

It is registered on the generated app, so both tasks run with the same
broker, result backend and worker settings; `celery -A bench.handwritten
worker` loads both (the generated tasks through the app's `include`).
"""

from __future__ import annotations

from typing import Any

from bench_jobs.celery_app import app

from bench.handlers import touch


@app.task(bind=True, max_retries=3, name="bench.handwritten")
def handwritten(self: Any, data: dict[str, Any]) -> Any:
    try:
        return touch(data["n"])
    except Exception as exc:
        # Retry with exponential backoff
        self.retry(exc=exc, countdown=2**self.request.retries)
