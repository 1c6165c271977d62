"""Handlers of the example shop: plain Python functions, no Celery or Temporal.

lichc's generated tasks, workflows and activities call these. Each handler is
written to be safe to run more than once (both engines deliver at least once).
"""
