"""`nox -s bench`: the benchmarks, printed as tables."""
