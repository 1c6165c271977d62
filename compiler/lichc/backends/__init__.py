"""Backends turn a plan into files. Each is a small class beside its templates:
`package` (inputs, settings, client), `celery`, `temporal` and `compose`."""
