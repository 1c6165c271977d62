"""One folder per engine; each owns everything it knows: its capabilities,
its options and their explanation, its names, what its templates see (the
view), its templates and its runtime, and the services it needs."""
