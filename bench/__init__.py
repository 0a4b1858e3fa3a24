"""Benchmarks (`nox -s bench`); not part of the installed packages."""
