"""The local stack of `lichc dev`: Redis, the Temporal dev server and the
workers of a spec, started from installed binaries (no Docker).

`servers` starts and probes the servers (the test suite uses it too),
`services` decides what runs for a plan, `supervisor` runs the processes,
`state` tells `lichc run` where a running stack is.
"""
