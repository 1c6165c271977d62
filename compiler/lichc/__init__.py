"""lichc: compile one declarative jobs.yaml into Celery tasks, Temporal
workflows, typed clients and a compose stack.

Importing lichc is cheap on purpose: the CLI imports each stage only when a
command needs it, and never imports celery or temporalio.
"""

__version__ = "0.1.0"
