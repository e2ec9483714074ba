"""Fuzz every command-line argument parser, importer and listing parser for a given time.

    .venv/bin/python benchmarks/fuzz.py [--minutes 10] [--batch 20] [--slice 30] [--only import,listing,cli]

Runs the property checks of ``tests/archiver/fuzz_properties.py`` (the same ones the test suite
runs briefly) round-robin, ``--batch`` hypothesis examples at a time with fresh random seeds,
until the time is up:

* ``cli``: random argument lists for every command; local ones run for real on a small archive
  (in a scratch working directory), network ones are parsed only;
* ``import``: mutated HTML, PDF, Princeton-Leuven, WARC and WACZ files and random bytes;
* ``listing``: IA CDX JSON, pywb CDX NDJSON and Memento TimeMap bodies, mutated and random.

An input fails when it gets a traceback instead of a message, or leaves the archive with a
problem ``verify`` finds or a blob no capture names. Prints the inputs tried and the failures per
check (with the smallest failing input hypothesis found) and exits 1 when there was any failure.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "archiver")]

import fuzz_properties  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402


def _batch(runs: Any, name: str, check: Any, strategy: Any) -> list[str]:
    """One hypothesis run of ``check``; the failure it found (shrunk), if any."""

    @runs
    @given(strategy)
    def run(value: Any) -> None:
        check(value)

    try:
        run()
    except Exception as exc:  # the property failed: hypothesis re-raises the smallest example(s)
        found = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else [exc]
        texts = []
        for one in found:
            text = "".join(traceback.format_exception_only(type(one), one)).strip()
            notes = "\n".join(getattr(one, "__notes__", []))
            where = traceback.extract_tb(one.__traceback__)[-1] if one.__traceback__ else None
            at = f" at {where.filename}:{where.lineno}" if where else ""
            print(f"FAIL {name}{at}: {text[:2000]}\n{notes[:2000]}", file=sys.stderr, flush=True)
            texts.append(text)
        return texts
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--batch", type=int, default=20, help="examples per hypothesis run")
    parser.add_argument("--slice", type=float, default=30.0, help="seconds per check in each round")
    parser.add_argument("--only", default="", help="comma-separated checks (default: all)")
    args = parser.parse_args(argv)
    props = fuzz_properties.properties()
    names = [n for n in props if not args.only or n in args.only.split(",")]
    failures: dict[str, list[str]] = {n: [] for n in names}
    runs = settings(
        max_examples=args.batch,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    end = time.monotonic() + args.minutes * 60
    started = time.monotonic()
    while time.monotonic() < end:
        for name in names:  # each check gets an equal slice of time: an import costs 100 listings
            slice_end = min(end, time.monotonic() + args.slice)
            while time.monotonic() < slice_end:
                failures[name].extend(_batch(runs, name, *props[name]))
            if time.monotonic() >= end:
                break
    if fuzz_properties._WORLD is not None:
        fuzz_properties._WORLD.close()
    elapsed = time.monotonic() - started
    total = sum(fuzz_properties.COUNTS.values())
    failed = sum(len(v) for v in failures.values())
    print(f"fuzzed for {elapsed / 60:.1f} min: {total} inputs tried, {failed} failure(s)")
    for name in names:
        print(f"  {name:8} {fuzz_properties.COUNTS.get(name, 0):7d} inputs  {len(failures[name])} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
