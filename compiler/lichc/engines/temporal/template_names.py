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
        "activity",
        "ApplicationError",
        "CancelledError",
        "Handler",
        "check",
        # from temporal_activity_runtime.py
        "Heartbeat",
        "as_async",
        "non_retryable",
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
        # from temporal_runtime.py
        "JobRun",
        "JobStatus",
        "payload_field",
        "result_field",
        "activities",
    }
)

WORKER = frozenset(
    {
        "annotations",
        "asyncio",
        "logging",
        "os",
        "signal",
        "sys",
        "traceback",
        "AsyncIterator",
        "Callable",
        "Executor",
        "ThreadPoolExecutor",
        "AsyncExitStack",
        "ExitStack",
        "asynccontextmanager",
        "timedelta",
        "Client",
        "Worker",
        "activities",
        "connect",
        "ACTIVITY_THREADS",
        "GRACEFUL_SHUTDOWN",
        "workers",
        "running",
        "main",
        "serve",
        "code",  # under `if __name__ == "__main__":`
    }
)

CLIENT = frozenset(
    {
        "annotations",
        "Any",
        "TypeVar",
        "Client",
        "WorkflowHandle",
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
        "_start",
    }
)

SCHEDULES = frozenset(
    {
        "annotations",
        "asyncio",
        "os",
        "sys",
        "Callable",
        "timedelta",
        "Client",
        "Schedule",
        "ScheduleActionStartWorkflow",
        "ScheduleAlreadyRunningError",
        "ScheduleOverlapPolicy",
        "SchedulePolicy",
        "ScheduleSpec",
        "ScheduleUpdate",
        "ScheduleUpdateInput",
        "connect",
        "schedules",
        "_replace_with",
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
