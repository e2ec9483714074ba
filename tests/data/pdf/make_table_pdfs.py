"""Make the two table PDFs of tests/data/pdf/: a policy's retention table, and the same table with
one cell (row "Payment data", column "Purpose") made longer, so that it wraps onto more lines than
its neighbours. Needs reportlab (BSD; in the ``bench`` extra):

    .venv/bin/python tests/data/pdf/make_table_pdfs.py tests/data/pdf/table.pdf tests/data/pdf/table-edited.pdf
"""

from __future__ import annotations

import sys

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

ROWS = [
    (
        "Identity data (name, date of birth)",
        "To create and manage your account and verify your identity",
        "Three years after the account is closed",
    ),
    (
        "Contact data (e-mail address, phone number)",
        "To send you service messages and answer your requests",
        "As long as the account is open",
    ),
    (
        "Payment data (card number, billing address)",
        "To take payment for the services you order from us",
        "Thirteen months after the payment",
    ),
    (
        "Usage data (pages viewed, clicks, device)",
        "To measure audience and improve the services",
        "Twenty-five months from collection",
    ),
]
EDITED_PURPOSE = (
    "To take payment for the services you order from us and, where the law requires it, to keep "
    "accounting records of each payment for ten years"
)


def make(path: str, payment_purpose: str) -> None:
    rl_config.invariant = 1  # no creation date or random id: the same bytes every time
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    rows: list[list[object]] = [["Data category", "Purpose of processing", "Retention period"]]
    for category, purpose, retention in ROWS:
        if category.startswith("Payment"):
            purpose = payment_purpose
        rows.append([Paragraph(category, cell), Paragraph(purpose, cell), Paragraph(retention, cell)])
    table = Table(rows, colWidths=[150, 200, 130])
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    doc = SimpleDocTemplate(path, pagesize=A4, title="Privacy policy: retention table")
    doc.build(
        [
            Paragraph("Privacy policy", styles["Title"]),
            Paragraph("This table says which personal data we keep, why, and for how long.", cell),
            Spacer(1, 12),
            table,
            Spacer(1, 12),
            Paragraph("You may ask us to erase your data at any time.", cell),
        ]
    )


if __name__ == "__main__":
    make(sys.argv[1], ROWS[2][1])
    make(sys.argv[2], EDITED_PURPOSE)
