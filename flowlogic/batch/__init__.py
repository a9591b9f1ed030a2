"""Coach batch processing: many client videos, in parallel, resumable and crash-safe."""
