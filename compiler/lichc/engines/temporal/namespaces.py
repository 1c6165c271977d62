"""The names each Temporal template binds at the top of its module itself.

A name the view hands out (an activity, a handler module's alias, a config
constant) never takes one of these; tests/test_temporal_generated.py renders
the templates and checks each set against what the output really binds.
"""

from __future__ import annotations

ACTIVITIES = frozenset(
    {
        "annotations",
        "Any",
        "dataclass",
        "field",
        "activity",
        "ApplicationError",
        "CancelledError",
        "Handler",
        "check",
        # from temporal_activity_runtime.py
        "Heartbeat",
        "as_async",
        "given_context",
        "non_retryable",
        "removed_step",
        "shaped",
        "with_heartbeat",
        "HANDLERS",
        "check_handlers",
    }
)

WORKFLOWS = frozenset(
    {
        "timedelta",
        "Any",
        "workflow",
        "RetryPolicy",
        "TypeAdapter",
        # from temporal_runtime.py
        "JobRun",
        "JobStatus",
        "payload_field",
        "result_field",
        "field_or_none",
        "item_field",
        "item_field_or_none",
        "ordered",
        "contains",
        "activities",
    }
)

PAYLOADS = frozenset({"annotations", "Any", "BaseModel", "ConfigDict", "Field"})

WORKER = frozenset(
    {
        "annotations",
        "logging",
        "Callable",
        "Executor",
        "AbstractAsyncContextManager",
        "timedelta",
        "Client",
        "Worker",
        "activities",
        "connect",
        # from temporal_process_runtime.py
        "exit_code",
        "exit_now",
        "poll_until_stopped",
        "running_workers",
        "ACTIVITY_THREADS",
        "GRACEFUL_SHUTDOWN",
        "workers",
        "running",
        "main",
        "serve",
    }
)

CLIENT = frozenset(
    {
        "annotations",
        "Awaitable",
        "Callable",
        "Mapping",
        "Any",
        "TypeVar",
        "Client",
        "WorkflowHandle",
        "TypedSearchAttributes",
        "WorkflowIDConflictPolicy",
        "WorkflowIDReusePolicy",
        "pydantic_data_converter",
        "WorkflowAlreadyStartedError",
        "MethodAsyncSingleParam",
        "settings",
        "JobStatus",
        "W",
        "I",
        "R",
        "connect",
        "run_sync",
        "_start",
        # from temporal_client_runtime.py (re-exported, but the `_` ones)
        "Started",
        "_checked_id",
        "_in_new_loop",
        "_started",
        "AlreadyAnswered",
        "AnswerRefused",
        "NotWaiting",
        "PayloadInvalid",
        "_answer",
    }
)

SCHEDULES = frozenset(
    {
        "annotations",
        "asyncio",
        "timedelta",
        "Client",
        "Schedule",
        "ScheduleActionStartWorkflow",
        "ScheduleOverlapPolicy",
        "SchedulePolicy",
        "ScheduleSpec",
        "connect",
        # from temporal_process_runtime.py
        "exit_now",
        "sync_all",
        "schedules",
        "sync_schedules",
        "main",
    }
)

# Names an activity's own code uses besides its handler's module: a parameter
# of the same name would hide them.
ACTIVITY_BODY = frozenset(
    {
        "ApplicationError",
        "CancelledError",
        "Exception",
        "Heartbeat",
        "as_async",
        "error",
        "heartbeat",
        "non_retryable",
        "with_heartbeat",
    }
)
