"""Exports and evidence: WARC 1.1 and WACZ export/import, datasets, evidence reports, sha256 manifests.

The calls the UI and the command line use:

* ``warc.export_warc(archive, policies, path, force=, tsa_url=)`` and ``warc.import_warcs(archive, paths)``
  (WARC files and WACZ packages), ``wacz.export_wacz(...)`` (the same WARC, packaged for replay tools)
* ``datasets.export_csv / export_jsonl / export_ota / export_pllc(archive, policies, path, force=, tsa_url=)``
* ``report.build_report_html(archive, version_a, version_b, options=, context=, result=) -> str``,
  ``report.write_report(html, path, force=)`` and ``report.write_pdf_report(html, path, pdf_writer, force=)``
  (the PDF writer is ``ui.pdf.write_pdf``: the core never imports Qt)
* ``manifest.verify_export(path) -> VerifyReport`` (inside a WACZ too)

Every export returns an :class:`~archiver.exports.output.ExportResult`, writes a sha256 manifest, never
overwrites a file unless ``force`` is set, and builds every path from URLs through
:mod:`archiver.exports.paths` so that it stays inside the export folder.
"""

#: Files that ``warc.import_warcs`` reads (the rest go through ``archiver.pipeline.import_paths``).
WEB_ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".wacz")
