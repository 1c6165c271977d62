"""Stage 4: plan -> generated files, in memory. `renderer.render` runs every
backend: the engines' own and the engine-neutral ones here (`package`: inputs,
settings and client; `compose`: the docker-compose stack)."""
