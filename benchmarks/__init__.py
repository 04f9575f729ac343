"""Speed and scale benchmarks against RecBole's own pipeline (python -m benchmarks.run --help)."""
