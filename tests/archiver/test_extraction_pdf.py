"""PDFs read by rows and columns: a table's row is one line, so an edit in one cell stays there.

The PDFs are made by tests/data/pdf/make_table_pdfs.py (see tests/data/pdf/README.md)."""

from __future__ import annotations

from pathlib import Path

from archiver.extraction import extract

PDF = Path(__file__).resolve().parents[1] / "data" / "pdf"
PAYMENT = "| Payment data (card number, billing address) | To take payment for the services you order from us"


def lines(name: str) -> list[str]:
    return extract((PDF / name).read_bytes(), "application/pdf").text.splitlines()


def test_a_table_is_read_row_by_row() -> None:
    text = lines("table.pdf")
    assert (
        text[text.index("| Data category | Purpose of processing | Retention period |") + 1]
        == "| --- | --- | --- |"
    )
    assert (
        "| Identity data (name, date of birth) | To create and manage your account and verify your identity "
        "| Three years after the account is closed |"
    ) in text
    assert f"{PAYMENT} | Thirteen months after the payment |" in text
    assert text[-1] == "You may ask us to erase your data at any time."


def test_an_edit_in_one_cell_stays_in_its_row() -> None:
    before, after = lines("table.pdf"), lines("table-edited.pdf")
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        (
            f"{PAYMENT} | Thirteen months after the payment |",
            f"{PAYMENT} and, where the law requires it, to keep accounting records of each payment for ten years "
            "| Thirteen months after the payment |",
        )
    ]
