"""Evidence report for a comparison of two versions: one self-contained HTML document.

The document has no scripts and no remote references (inline CSS only, a Content-Security-Policy
that forbids everything else, URLs shown as text, never as links), and every piece of archived text
is HTML-escaped. The same HTML is what the PDF writer (``ui.pdf.write_pdf``, Qt) lays out, so it
sticks to what Qt's rich-text engine understands: tables, inline styles, simple class selectors.

Contents: the side-by-side diff, its statistics, the changes grouped by topic (report_answers.py),
each version's provenance (archive, memento URL, retrieval time, HTTP status, sha256 of the raw bytes
and of the text, extractor version, stated date and flags), the change window, the export time and
the tool version.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .. import __version__
from ..analysis.topics import Watchlist, load_watchlist, watchlist_path
from ..capture_dates import CaptureDate
from ..diffing import DiffOptions, DiffResult, diff_texts
from ..diffing.render import html_rows  # the diff engine's side-by-side table rows: one renderer
from ..diffing.views import changes_only
from ..models import Capture, Policy, Version
from ..portfolio import Portfolio, Review
from ..storage import Archive
from ..timestamps import display, now_iso
from .manifest import sidecar_for
from .output import ExportResult, write_single
from .paths import check_new
from .report_answers import stated_date_html, topics_section_html

_CSS = """
body{font-family:sans-serif;font-size:10pt;color:#1b1f24;background:#fff}
h1{font-size:15pt;margin:0 0 4pt 0}
h2{font-size:12pt;margin:14pt 0 4pt 0}
h3{font-size:10.5pt;margin:10pt 0 3pt 0}
table{border-collapse:collapse}
table.meta{width:100%}
table.meta td,table.meta th{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}
table.meta th{background:#f6f8fa;width:22%}
td.hash,span.hash{font-family:monospace;font-size:8.5pt}
table.diff{width:100%}
table.diff td{vertical-align:top;padding:3px 6px;white-space:pre-wrap;border-bottom:1px solid #eaeef2}
table.diff td.n{color:#6e7781;text-align:right;font-family:monospace;font-size:8pt;width:3em}
tr.delete td.l,tr.replace td.l,tr.move td.l{background-color:#ffebe9}
tr.insert td.r,tr.replace td.r,tr.move td.r{background-color:#e6ffec}
del{background-color:#ff8182;text-decoration:line-through}
ins{background-color:#6fdd8b;text-decoration:none}
tr.skip td{background-color:#ddf4ff;color:#0969da;text-align:center;font-style:italic}
.mv{font-size:8pt;color:#8250df}
p.note{font-size:9pt;color:#57606a}
"""


def build_report_html(
    archive: Archive,
    version_a: Version,
    version_b: Version,
    *,
    options: DiffOptions | None = None,
    context: int | None = None,
    result: DiffResult | None = None,
) -> str:
    """The evidence report comparing ``version_a`` (older) with ``version_b``, as one HTML document.

    ``result`` may pass a diff already computed (the compare view has one); ``context`` collapses
    unchanged runs to that many blocks around each change (None: the whole text).
    """
    policy = archive.policy_by_id(version_b.policy_id)
    text_a = archive.text(version_a.text_sha256)
    text_b = archive.text(version_b.text_sha256)
    if result is None:
        result = diff_texts(text_a, text_b, options or DiffOptions())
    intermediate = _intermediate(version_a, version_b)
    reviews = Portfolio(archive).reviews_by_version(policy).get(version_b.timestamp, ())
    return render_report(
        policy,
        version_a,
        version_b,
        result,
        intermediate,
        generated=now_iso(),
        context=context,
        ledger=archive.ledger_head(),
        reviews=reviews,
        dates=archive.dates_of([version_a.first, version_b.first]),
        watchlist=load_watchlist(watchlist_path(archive.root)),
    )


def _intermediate(a: Version, b: Version) -> int:
    if a.policy_id != b.policy_id:
        return -1
    lo, hi = sorted((a.index, b.index))
    return max(0, hi - lo - 1)


def render_report(
    policy: Policy,
    a: Version,
    b: Version,
    result: DiffResult,
    intermediate: int,
    *,
    generated: str,
    context: int | None = None,
    ledger: tuple[int, str] | None = None,
    reviews: Sequence[Review] = (),
    dates: Mapping[int, CaptureDate] | None = None,
    watchlist: Watchlist | None = None,
) -> str:
    dates = dates or {}
    e = html.escape
    s = result.stats
    left = f"{display(a.timestamp)} UTC"
    right = f"{display(b.timestamp)} UTC"
    title = f"Evidence report: {policy.label or policy.url}"
    rows = result.rows if context is None else changes_only(result, context)
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="generator" content="' + e(f"policydiff {__version__}") + '">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        '<table class="meta">',
        _tr("Policy URL", e(policy.url)),
        _tr("Compared", f"{e(left)} (older) with {e(right)} (newer)"),
        _tr("Change window", _change_window(a, b, intermediate)),
        _tr("Report generated", e(generated)),
        _tr("Tool", e(f"policydiff {__version__}")),
        (
            _tr(
                "Local archive ledger",
                f"{ledger[0]} captures recorded, head sha256 <code>{e(ledger[1])}</code> "
                "(<code>policydiff verify</code> prints it; the same head later means nothing recorded "
                "before this report was changed)",
            )
            if ledger
            else ""
        ),
        "</table>",
        "<h2>Statistics</h2>",
        '<table class="meta">',
        _tr("Result", "the texts are the same" if result.same else "the texts differ"),
        _tr("Words", f"{s.left_words} (older), {s.right_words} (newer)"),
        _tr("Words removed / added", f"{s.words_removed} / {s.words_added} ({s.words_changed} substituted)"),
        _tr("Share of the text changed", f"{s.changed_ratio:.1%}"),
        _tr("Blocks moved", str(s.moved_blocks)),
        _tr("Changed rows", str(s.changed_rows)),
        "</table>",
        _reviews(reviews),
        topics_section_html(result, watchlist) if watchlist is not None else "",
        "<h2>Provenance of the older version</h2>",
        _provenance(a, dates.get(a.first.id), result.left_text),
        "<h2>Provenance of the newer version</h2>",
        _provenance(b, dates.get(b.first.id), result.right_text),
        '<p class="note">The sha256 values are of the raw bytes kept in the local archive, as received '
        "from the archive named (retrieved at the time shown). An archive's own CDX digest describes its "
        "stored record, not the bytes its replay returns, so it is not used as proof here. The text "
        "sha256 identifies the extracted text compared below.</p>",
        "<h2>Side-by-side comparison</h2>",
        (
            ""
            if context is None
            else f'<p class="note">Changes only: unchanged text is left out except {context} block(s) '
            "around each change; each gap says how many blocks it leaves out.</p>"
        ),
        # fixed halves: <colgroup> for browsers, width attributes for Qt's layout (PDF)
        '<table class="diff" width="100%"><colgroup><col style="width:4%"><col style="width:46%">'
        '<col style="width:4%"><col style="width:46%"></colgroup>',
        '<thead><tr><th width="4%"></th><th width="46%">' + e(left),
        '</th><th width="4%"></th><th width="46%">' + e(right) + "</th></tr></thead><tbody>",
        "\n".join(html_rows(rows)),
        "</tbody></table>",
        "</body></html>\n",
    ]
    return "".join(parts)


def _reviews(reviews: Sequence[Review]) -> str:
    """The review log of the newer version's change: who read it, when, and what they noted."""
    if not reviews:
        return ""
    e = html.escape
    rows = "".join(
        _tr(
            r.reviewer,
            f"{e(r.reviewed_at)} (against {e(display(r.baseline_timestamp))} UTC)"
            + (f": {e(r.note)}" if r.note else ""),
        )
        for r in reviews
    )
    return f'<h2>Reviews of this change</h2><table class="meta">{rows}</table>'


def _tr(label: str, value_html: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<tr><th>{html.escape(label)}</th><td{attr}>{value_html}</td></tr>"


def _change_window(a: Version, b: Version, intermediate: int) -> str:
    e = html.escape
    newer = b if b.timestamp >= a.timestamp else a
    if newer.previous_capture is None:
        return "unknown (the newer version is the first one archived)"
    text = (
        f"the text changed between {e(display(newer.previous_capture.timestamp))} UTC (last capture with the "
        f"previous text) and {e(display(newer.timestamp))} UTC (first capture with the newer text)"
    )
    if intermediate > 0:
        text += f"; {intermediate} other version(s) lie between the two compared"
    elif intermediate < 0:
        text += "; the two versions belong to different policies"
    return text


def _provenance(v: Version, date: CaptureDate | None, text: str) -> str:
    e = html.escape
    c: Capture = v.first
    rows = [
        _tr("Capture time", e(f"{display(c.timestamp)} UTC")),
        _tr("Capture time from", e(date.describe() if date else "not recorded")),
        _tr(
            "Captures with this text", f"{len(v.captures)} (until {e(display(v.captures[-1].timestamp))} UTC)"
        ),
        _tr("Source", e(str(c.source))),
        _tr("Archive", e(c.archive or "none (local file or live site)")),
        _tr("Memento URL", e(c.memento_url or "none")),
        _tr("Original URL", e(c.original_url)),
        _tr("Retrieved at", e(c.retrieved_at)),
        _tr("HTTP status (archived)", e(str(c.http_status)) if c.http_status is not None else "not recorded"),
        _tr("Content type", e(c.content_type)),
        _tr("Size", f"{c.size} bytes"),
        _tr("sha256 (raw bytes)", e(c.sha256 or "none: imported as text only"), "hash"),
        _tr("sha256 (extracted text)", e(v.text_sha256), "hash"),
        _tr("Extractor version", e(v.extractor_version)),
        _tr("Stated date", stated_date_html(text, v.stated_date, v.language)),
        _tr("Flags", e(", ".join(v.flags) or "none")),
        _tr("Provenance note", e(c.provenance or "none")),
    ]
    return '<table class="meta">' + "".join(rows) + "</table>"


def write_report(html_text: str, path: Path, *, force: bool, tsa_url: str | None = None) -> ExportResult:
    """Write the HTML report with its sidecar manifest (refuses to overwrite without ``force``)."""
    return write_single(
        path, html_text.encode("utf-8"), description="evidence report (HTML)", force=force, tsa_url=tsa_url
    )


def write_pdf_report(
    html_text: str,
    path: Path,
    pdf_writer: Callable[[str, Path], None],
    *,
    force: bool,
    tsa_url: str | None = None,
) -> ExportResult:
    """Lay the report out as PDF with ``pdf_writer`` (Qt's, from ``ui.pdf``) and write it with its
    sidecar manifest; nothing is rendered when the target exists and ``force`` is off."""
    path = path.expanduser()
    check_new([path, sidecar_for(path)], force)
    with tempfile.TemporaryDirectory(prefix="policydiff-pdf-") as tmp:
        out = Path(tmp) / "report.pdf"
        pdf_writer(html_text, out)
        data = out.read_bytes()
    return write_single(path, data, description="evidence report (PDF)", force=force, tsa_url=tsa_url)
