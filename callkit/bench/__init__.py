"""Evaluations and benchmarks behind ``callkit eval …`` and ``callkit bench …``."""
