"""Stage 3: a validated spec -> the plan (the IR every renderer reads): each
job with its engine chosen, every inherited setting resolved, and the rules
that need more than one key (or the chosen engine) checked on it."""
