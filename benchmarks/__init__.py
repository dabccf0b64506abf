"""Benchmarks run by `nox -s bench`; not part of the installed packages."""
