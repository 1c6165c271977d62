"""Stage 3: a validated spec -> the plan (the IR every renderer reads): each
job with its engine chosen, every inherited setting resolved, and the rules
that need more than one key (or the chosen engine) checked on it.

ir.py        the plan's frozen dataclasses
make.py      building the plan; each Job once, with its engine
features.py  what a job uses that not every engine runs (the capability vocabulary)
engine_choice.py  `engine: auto`, from the engines' capability tables
refusals.py  a feature the job's engine cannot run, refused where it is used
rules.py     the engine-neutral cross-key rules (each engine's own: engines/<e>/rules.py)
handlers.py  handler signatures, checked against the handlers' source
check.py     validate + make + rules: the checked plan or every error at once
"""
