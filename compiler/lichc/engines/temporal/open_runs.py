"""Which version each open run of a job is on, read from the server.

A run carries the marker of the version it was pinned to when it started
(JobRun.pin_version): `workflow.patched` records a `core_patch` marker with
the patch id in the run's first workflow task. So the version of a run is
the newest version whose patch it recorded; a run with only the deprecated
marker of a version is on that version (it started while it was the oldest
and newest live one); a run with none started on version 1. Only the first
events of each open run are read.

Imported by `lichc versions --runs` and `lichc retire` only: it imports
temporalio.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

PATCH_MARKER = "core_patch"  # the marker workflow.patched / deprecate_patch record
PATCH_DETAILS = "patch-data"


@dataclass(frozen=True)
class OpenRun:
    workflow_id: str
    run_id: str
    started: datetime | None
    version: int


async def open_runs(
    client: Client, workflow_type: str, patches: Mapping[str, int]
) -> list[OpenRun]:
    """Every running execution of `workflow_type`, with its version;
    `patches` maps each recorded patch id of the job to its version."""
    # job names are identifiers (validated): safe inside the quotes
    query = f"WorkflowType = '{workflow_type}' AND ExecutionStatus = 'Running'"
    found = []
    async for execution in client.list_workflows(query):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        version = await _version_of(handle, patches)
        found.append(
            OpenRun(execution.id, execution.run_id, execution.start_time, version)
        )
    return sorted(found, key=lambda r: (r.version, r.started or datetime.min))


async def _version_of(handle: Any, patches: Mapping[str, int]) -> int:
    recorded: list[tuple[int, bool]] = []  # (version, deprecated)
    after_first_task = False
    async for event in handle.fetch_history_events(page_size=32):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            after_first_task = True
            continue
        if not after_first_task:
            continue
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            break  # the pin is the first command: no marker after this one
        marker = _patch(event.marker_recorded_event_attributes)
        if marker is not None and marker[0] in patches:
            recorded.append((patches[marker[0]], marker[1]))
    pinned = [v for v, deprecated in recorded if not deprecated]
    if pinned:
        return max(pinned)
    return max((v for v, _ in recorded), default=1)


def _patch(attributes: Any) -> tuple[str, bool] | None:
    """(patch id, deprecated) of a patch marker, None for any other marker."""
    if attributes.marker_name != PATCH_MARKER:
        return None
    payloads = attributes.details.get(PATCH_DETAILS)
    if payloads is None or not payloads.payloads:
        return None
    try:
        data = json.loads(payloads.payloads[0].data)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    return data["id"], bool(data.get("deprecated"))
