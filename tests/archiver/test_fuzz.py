"""Issue 18: property-based fuzzing of every argument parser, importer and listing parser.

A short run here (a few dozen inputs each); ``benchmarks/fuzz.py --minutes 10`` runs the same
checks for longer and prints how many inputs it tried.
"""

from __future__ import annotations

from typing import Any

import pytest
from fuzz_properties import properties
from hypothesis import HealthCheck, given, settings

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("name", ["import", "listing", "cli"])
def test_no_traceback_and_no_partial_write(name: str) -> None:
    check, strategy = properties()[name]

    @FUZZ
    @given(strategy)
    def run(value: Any) -> None:
        check(value)

    run()
