"""Helpers shared by tests/ and bench/: real servers and workers, synthetic
and hostile specs.

Neither tests/ nor bench/ imports the other; what both need lives here. Not
shipped in the wheel (setuptools finds packages under compiler/ only).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout
