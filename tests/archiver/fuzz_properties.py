"""Property checks shared by the hypothesis tests (test_fuzz.py) and the long run (benchmarks/fuzz.py).

Each ``check_*`` feeds one input to one parser or importer and fails (raises AssertionError or lets
an unexpected exception through) when the input gets a traceback instead of a message, or leaves
a partial write behind: the archive afterwards must verify clean, with no blob that no capture
names. ``PROPERTIES`` pairs each check with its hypothesis strategy.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from archiver.cli import build_parser, main
from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
from archiver.client.iacdx import parse_ia_json
from archiver.client.linkformat import parse_http_date, parse_link_format
from archiver.client.listing import clean_original, repair_timestamp
from archiver.client.memento import parse_pywb_ndjson, parse_timemap
from archiver.errors import ArchiverError
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data"
HTML_SEED = DATA / "corpus/tinder-privacy/20220407003230.html"
PDF_SEED = DATA / "corpus/doctolib-privacy-pdf-fr/20250718003000.pdf"
PLLC_SEED = DATA / "000_f3b110e2aecbbe7d.txt"

#: how many inputs were tried, by check (the long run prints it)
COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


# --- seeds and mutations -------------------------------------------------------------------------


@dataclass
class Seeds:
    """Real inputs to mutate: a saved page, a PDF, a Princeton-Leuven file, and a WARC and a WACZ
    exported by policydiff itself from an archive holding the first three."""

    html: bytes
    pdf: bytes
    pllc: bytes
    warc: bytes
    wacz: bytes


_SEEDS: Seeds | None = None


def seeds() -> Seeds:
    global _SEEDS
    if _SEEDS is None:
        from archiver.exports.wacz import export_wacz
        from archiver.exports.warc import export_warc
        from archiver.pipeline import import_paths

        work = Path(tempfile.mkdtemp(prefix="policydiff-fuzz-seeds-"))
        try:
            with Archive.open(work / "A") as archive:
                list(import_paths(archive, [str(PLLC_SEED)]))
                list(import_paths(archive, [str(HTML_SEED)], url="https://tinder.com/privacy", date="2022"))
                policies = archive.policies()
                export_warc(archive, policies, work / "x.warc.gz", force=True, tsa_url=None)
                export_wacz(archive, policies, work / "x.wacz", force=True, tsa_url=None)
            _SEEDS = Seeds(
                HTML_SEED.read_bytes(),
                _first_page(PDF_SEED),
                PLLC_SEED.read_bytes(),
                (work / "x.warc.gz").read_bytes(),
                (work / "x.wacz").read_bytes(),
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return _SEEDS


def _first_page(pdf: Path) -> bytes:
    """The first page of a real PDF as a PDF of its own (the whole one takes seconds to read)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(pdf).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@st.composite
def mutated(draw: Any, seed: Callable[[], bytes]) -> bytes:
    """A seed with a few bytes flipped, a slice removed or inserted, or cut short."""
    data = bytearray(seed())
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        op = draw(st.sampled_from(("flip", "cut", "insert", "truncate")))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 4096))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at:]
    return bytes(data)


# --- the archive invariant -----------------------------------------------------------------------


def assert_whole(archive: Archive) -> None:
    """Nothing half-written: verify finds no problem and every blob belongs to a capture."""
    problems = archive.verify()
    assert not problems, [str(p) for p in problems]
    named = {c.sha256 for p in archive.policies() for c in archive.captures(p.id) if c.sha256}
    on_disk = {f.name for f in (archive.root / "blobs").glob("*/*")}
    assert on_disk <= named, f"blobs no capture names: {sorted(on_disk - named)[:3]}"


# --- importers -----------------------------------------------------------------------------------

SUFFIXES = (".html", ".htm", ".pdf", ".txt", ".md", ".bin", "", ".warc", ".warc.gz", ".wacz")


def check_import(data: bytes, suffix: str) -> None:
    """Import one file: each result is a capture or a message; the archive stays whole."""
    from archiver.exports.warc_import import import_warcs
    from archiver.pipeline import import_paths

    _count("import")
    work = Path(tempfile.mkdtemp(prefix="policydiff-fuzz-"))
    try:
        path = work / f"input{suffix}"
        path.write_bytes(data)
        with Archive.open(work / "A") as archive:
            try:
                if suffix in (".warc", ".warc.gz", ".wacz"):
                    results = import_warcs(archive, [str(path)])
                else:
                    results = list(
                        import_paths(archive, [str(path)], url="https://example.com/privacy", date="2021")
                    )
            except ArchiverError as exc:  # a usage error for the whole call: a message, nothing stored
                assert str(exc)
                results = []
            for r in results:
                assert (r.capture is None) == bool(r.error) or r.warning, r
            assert_whole(archive)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- listing parsers -----------------------------------------------------------------------------

_ENDPOINT = ArchiveEndpoint("https://web.archive.org/web/", ArchiveKind.IA)


def check_listing(body: bytes) -> None:
    """CDX (IA JSON, pywb NDJSON) and TimeMap bodies: rows or an ArchiverError, never a traceback."""
    _count("listing")
    with contextlib.suppress(ArchiverError):
        parse_ia_json(body)
    parse_pywb_ndjson(body)
    text = body.decode("utf-8", "replace")
    rows, _pages = parse_timemap(text, _ENDPOINT)
    for row in rows:
        assert len(row.timestamp) == 14 and row.timestamp.isdigit(), row
    parse_link_format(text)
    parse_http_date(text)
    repair_timestamp(text)
    clean_original(text)


# --- the command line ----------------------------------------------------------------------------

#: commands that reach the network or the system (the scheduler): parsed only; every other
#: command runs for real against a small archive
NETWORK_COMMANDS = frozenset({"captures", "fetch", "capture", "keys", "bisect", "update", "schedule"})


def _commands() -> dict[str, tuple[str, ...]]:
    """Every command of the command line (as registered now) with its option strings."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: tuple(o for o in command._option_string_actions if o.startswith("--") and o != "--help")
        for name, command in sub.choices.items()
    }


COMMANDS = _commands()
URL = "https://cacuqecig.com/help/warranty.html"


def _dates() -> st.SearchStrategy[str]:
    digits = st.text(alphabet="0123456789", min_size=0, max_size=16)
    separated = st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), max_size=6).map(
        lambda parts: "-".join(parts)
    )
    return st.one_of(digits, separated, st.sampled_from(("2023-13", "202300", "20230230", "0000", "2099")))


def tokens() -> st.SearchStrategy[str]:
    """Argument words: dates, URLs, URL@TS, option names, numbers, file names and any text."""
    date = _dates()
    url = st.one_of(
        st.sampled_from((URL, "http://x", "mailto:a@b.c", "ftp://h/", "https://[::1", "https://a..b/")),
        st.text(max_size=40),
    )
    return st.one_of(
        date,
        url,
        st.builds(lambda u, d: f"{u}@{d}", url, date),
        st.sampled_from(sorted({o for opts in COMMANDS.values() for o in opts})),
        st.integers(-5, 10**12).map(str),
        st.sampled_from(("out.csv", "dir", "x.html", "", ".", "..", "/", "nul\x00l", "--")),
        st.text(max_size=30).filter(lambda t: t != "-"),  # '-' reads standard input
    )


def argvs() -> st.SearchStrategy[list[str]]:
    def for_command(cmd: str) -> st.SearchStrategy[list[str]]:
        own = st.sampled_from(COMMANDS[cmd]) if COMMANDS[cmd] else tokens()
        return st.lists(st.one_of(own, tokens()), max_size=6).map(lambda words: [cmd, *words])

    return st.sampled_from(sorted(COMMANDS)).flatmap(for_command)


class CliWorld:
    """A small archive (one Princeton-Leuven capture, one saved page) and a scratch folder that
    is the working directory while a command runs (exports with relative names land there)."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="policydiff-fuzz-cli-"))
        self.archive = self.base / "A"
        self.cwd = self.base / "cwd"
        self.cwd.mkdir()
        (self.cwd / "x.html").write_bytes(HTML_SEED.read_bytes())
        with contextlib.redirect_stdout(io.StringIO()):
            main(["--archive", str(self.archive), "import", str(PLLC_SEED)])

    def close(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


_WORLD: CliWorld | None = None


def world() -> CliWorld:
    global _WORLD
    if _WORLD is None:
        _WORLD = CliWorld()
    return _WORLD


def check_cli(argv: list[str]) -> None:
    """Parse (network commands) or run (local ones): an exit code and at most a message."""
    _count("cli")
    if argv[0] in NETWORK_COMMANDS:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                build_parser().parse_args(argv)
        except SystemExit as exc:
            assert exc.code in (0, 2), exc.code
        return
    w = world()
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(w.cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--archive", str(w.archive), *argv])
    finally:
        os.chdir(previous)
    assert code in (0, 1, 2), (code, err.getvalue())
    assert "Traceback" not in err.getvalue(), err.getvalue()
    with Archive.open(w.archive) as archive:
        assert_whole(archive)


def properties() -> dict[str, tuple[Callable[[Any], None], st.SearchStrategy[Any]]]:
    """Each check and the strategy of its one argument."""
    s = seeds()
    files = st.one_of(
        st.tuples(mutated(lambda: s.html), st.sampled_from((".html", "", ".txt"))),
        st.tuples(mutated(lambda: s.pdf), st.sampled_from((".pdf", ""))),
        st.tuples(mutated(lambda: s.pllc), st.sampled_from((".txt", ".md"))),
        st.tuples(mutated(lambda: s.warc), st.just(".warc.gz")),
        st.tuples(mutated(lambda: s.wacz), st.just(".wacz")),
        st.tuples(st.binary(max_size=4096), st.sampled_from(SUFFIXES)),
    )
    listing = st.one_of(
        st.binary(max_size=2048),
        st.text(max_size=400).map(str.encode),
        st.sampled_from(
            (
                b'[["urlkey","timestamp","original"],["k","20230101000000","https://e.com/"],[],["r"]]',
                b'{"timestamp": "2023", "url": "https://e.com/"}\n{"is_fuzzy": "1"}',
                b'<https://e.com/>; rel="original", <https://web.archive.org/web/20230101000000/https://e.com/>;'
                b' rel="memento"; datetime="Sun, 01 Jan 2023 00:00:00 GMT"',
            )
        ).flatmap(lambda seed: mutated(lambda: seed)),
    )
    return {
        "import": (lambda pair: check_import(*pair), files),
        "listing": (check_listing, listing),
        "cli": (check_cli, argvs()),
    }
