"""Choose the PDF text engine by measurement: pypdf's layout mode, pdfplumber and PDFium (pypdfium2).

    .venv/bin/python benchmarks/pdf_engines.py [--corpus DIR ...]

For every PDF with a reference (``*.ref.md``) in the corpora: bag-of-words F1 against the
reference and time, for each engine's raw text and for ours (``archiver.extraction.extract``, built
on PDFium). Then the table test (tests/data/pdf/): one cell of a table made longer; an engine keeps
the edit local when the words it adds come out in one run (``edit runs`` = 1) and no other line of
its text changes (``lines changed`` = 1 where the engine writes a row as one line). pdfplumber is in
the ``bench`` extra. This is a benchmark: it asserts nothing.
"""

from __future__ import annotations

import argparse
import difflib
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from extract_bench import load_pages, prf, tokens  # noqa: E402

from archiver.extraction import extract  # noqa: E402

TABLE = ROOT / "tests" / "data" / "pdf"


def pypdf_layout(body: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(
        p.extract_text(extraction_mode="layout") or "" for p in PdfReader(io.BytesIO(body)).pages
    )


def pdfplumber_text(body: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(body)) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def pdfium_text(body: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(body)
    try:
        return "\n".join(
            pdf[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(pdf))
        )
    finally:
        pdf.close()


def ours(body: bytes) -> str:
    return extract(body, "application/pdf").text


ENGINES: dict[str, Callable[[bytes], str]] = {
    "pypdf-layout": pypdf_layout,
    "pdfplumber": pdfplumber_text,
    "pypdfium2": pdfium_text,
    "ours": ours,
}


def edit_runs(before: str, after: str) -> int:
    """How many separate places the word diff touches."""
    a, b = before.split(), after.split()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(op != "equal" for op, *_ in ops)


def lines_changed(before: str, after: str) -> int:
    a = [line for line in before.splitlines() if line.strip()]
    b = [line for line in after.splitlines() if line.strip()]
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", type=Path, help="corpus folder (repeatable)")
    args = parser.parse_args(argv)
    corpora = args.corpus or [ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "corpus-wide"]
    pdfs = [
        p
        for c in corpora
        if c.is_dir()
        for p in load_pages(c)
        if p.reference is not None and p.mime == "application/pdf"
    ]
    print(
        f"{'engine':<14} " + " ".join(f"{p.slug[:14]:>14}" for p in pdfs) + f" {'mean F1':>8} {'ms/PDF':>8}"
    )
    table_before, table_after = (TABLE / "table.pdf").read_bytes(), (TABLE / "table-edited.pdf").read_bytes()
    locality = {}
    for name, fn in ENGINES.items():
        scores, times = [], []
        for page in pdfs:
            body = page.file.read_bytes()
            start = time.perf_counter()
            text = fn(body)
            times.append((time.perf_counter() - start) * 1000)
            scores.append(prf(tokens(page.reference.read_text(encoding="utf-8")), tokens(text))[2])  # type: ignore[union-attr]
        cells = " ".join(f"{s:>14.4f}" for s in scores)
        mean = statistics.fmean(scores) if scores else 0.0
        print(f"{name:<14} {cells} {mean:>8.4f} {statistics.fmean(times) if times else 0:>8.0f}")
        before, after = fn(table_before), fn(table_after)
        locality[name] = (edit_runs(before, after), lines_changed(before, after))
    print("\ntable PDF, one cell made longer (tests/data/pdf/)")
    print(f"{'engine':<14} {'edit runs':>10} {'lines changed':>14}")
    for name, (runs, changed) in locality.items():
        print(f"{name:<14} {runs:>10} {changed:>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
