"""Stage 2: the jobs.yaml format itself: the Pydantic models of every key, the
parsers of its value types (durations, cron, handler paths, ...), the rules
for the names a user may choose, and the translation of Pydantic's errors
into located diagnostics. Nothing here knows about an engine."""
