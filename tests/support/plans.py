"""The plan of a spec written inline in a test."""

from __future__ import annotations

import textwrap

from lichc.load.loader import parse
from lichc.plan.check import checked_plan
from lichc.plan.ir import Plan


def plan_of(yaml_text: str) -> Plan:
    """Validate `yaml_text` (indented like the test that holds it) into a Plan."""
    return checked_plan(parse(textwrap.dedent(yaml_text).encode()))
