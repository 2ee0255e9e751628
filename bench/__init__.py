"""Load tests for werkstatt: ``python -m bench WORKLOAD [options]`` (see docs/benchmarks.md)."""
