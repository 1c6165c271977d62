"""Load every workflow of a generated project in Temporal's sandbox.

    python -m tests.support.sandbox_check OUTPUT_DIR PROJECT

Prints each warning the sandbox raises and exits 1 if there was any: a
workflow module must import cleanly, with no side effects and nothing passed
through by accident. Runs in its own process so the project's modules do not
leak into the test session.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import warnings

from temporalio import workflow
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

# Strictest notifications: any module reaching the sandbox without being passed
# through on purpose, or imported late, is reported.
POLICY = (
    workflow.SandboxImportNotificationPolicy.WARN_ON_DYNAMIC_IMPORT
    | workflow.SandboxImportNotificationPolicy.WARN_ON_UNINTENTIONAL_PASSTHROUGH
)


async def load(output: str, project: str) -> int:
    sys.path.insert(0, output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"{project}.temporal_workflows")
        restrictions = SandboxRestrictions.default.with_import_notification_policy(
            POLICY
        )
        runner = SandboxedWorkflowRunner(restrictions=restrictions)
        loaded = 0
        for _, cls in inspect.getmembers(module, inspect.isclass):
            defn = workflow._Definition.from_class(cls)
            if defn is not None and cls.__module__ == module.__name__:
                runner.prepare_workflow(defn)
                loaded += 1
    # This check imports the workflows module itself before the sandbox does;
    # temporalio before 1.35 then reports that very module as passed through.
    ours = f"Module {module.__name__} was not intentionally passed through"
    caught = [w for w in caught if not str(w.message).startswith(ours)]
    for warning in caught:
        print(f"warning: {warning.message}")
    print(f"{loaded} workflows loaded")
    return 1 if caught or not loaded else 0


def main(output: str, project: str) -> int:
    return asyncio.run(load(output, project))


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
