"""Evolution: what lichc built before, kept so that runs in flight survive an
edit of jobs.yaml (docs/evolution.md).

`record` reads and writes `<output>/lichc.versions.json` (`store` finds it);
an engine that replays reduces a planned job to the commands its workflow
issues (engines/temporal/history.py); `history` compares the plan
with the record, appends a version per changed job and merges every live
version's steps into the one list the Temporal workflow renders.
"""
