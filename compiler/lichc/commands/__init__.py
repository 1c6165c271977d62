"""Commands beyond build/check/validate/schema/explain, loaded lazily by cli.py."""
