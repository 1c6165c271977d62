"""Celery: everything lichc knows about it. `engine.py` is what the rest of
lichc sees (lichc.engines.registry); `capabilities.py` and `rules.py` are read
when a spec is checked; `backend.py`, the views, `templates/` and `runtime/`
when it is rendered; `services.py` for compose and `lichc dev`."""
