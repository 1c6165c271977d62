"""`lichc schema`: the JSON Schema of jobs.yaml, from the Pydantic models.

`schemas/jobs.schema.json` is this output (a test keeps them equal), and
jobs.yaml points editors at it with a yaml-language-server comment.
"""

from __future__ import annotations

import json

from lichc.fileformat.models import Spec


def schema_text() -> str:
    schema = Spec.model_json_schema(mode="validation")
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
