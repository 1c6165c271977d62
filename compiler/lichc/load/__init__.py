"""Stage 1: the bytes of jobs.yaml -> data with a line:col for every key."""
