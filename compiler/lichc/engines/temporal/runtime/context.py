"""In this tree only, never copied: the project's context module, which
activity_support.py imports as `.context`. Generated, activity_support.py is
temporal_activity_runtime.py and its sibling `<project>/context.py` is the
package backend's copy of lichc/render/package/runtime/context.py; here this
module stands in for it, so that the runtime imports, type-checks and is
tested against the one JobContext."""

from __future__ import annotations

from lichc.render.package.runtime.context import PARAMETER, JobContext, takes_context

__all__ = ["PARAMETER", "JobContext", "takes_context"]
