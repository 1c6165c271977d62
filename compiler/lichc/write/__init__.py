"""Stage 5: generated files -> disk, atomically, touching only what lichc wrote."""
