"""Issue 18, part 5: provenance is never invented; exports state each capture's real source."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.cli import main
from archiver.pllc import format_pllc, parse_pllc
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data"
PAGE = DATA / "corpus/tinder-privacy/20220407003230.html"
URL = "https://tinder.com/privacy"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_pllc_export_of_a_local_file_invents_no_wayback_link_and_reimports_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = str(tmp_path / "A"), str(tmp_path / "B")
    assert run(capsys, "--archive", a, "import", str(PAGE), "--url", URL)[0] == 0
    assert run(capsys, "--archive", a, "export", URL, "--pllc", str(tmp_path / "out"))[0] == 0
    [doc] = (tmp_path / "out").rglob("*.md")
    header = doc.read_text(encoding="utf-8").splitlines()[0]
    assert "web.archive.org" not in header and "/web/" not in header
    assert "not by a web archive" in header and "a local file" in header
    code, _, err = run(capsys, "--archive", b, "import", str(doc))
    assert code == 0, err
    with Archive.open(b) as archive:
        [capture] = archive.captures(archive.get_policy(URL).id)
        assert capture.archive == "" and capture.memento_url == ""
        assert capture.timestamp == "20220407003230"
        assert "captured from file, not by a web archive" in capture.provenance
    assert run(capsys, "--archive", b, "export", URL, "--pllc", str(tmp_path / "again"))[0] == 0
    [again] = (tmp_path / "again").rglob("*.md")
    assert again.read_text(encoding="utf-8") == doc.read_text(encoding="utf-8")  # a stable round trip


def test_another_archive_is_named_as_itself() -> None:
    doc = format_pllc(
        "https://e.com/p", "20230102030405", "# P\n", archive_prefix="http://127.0.0.1:8080/coll/"
    )
    assert "Wayback Machine" not in doc and "web.archive.org" not in doc
    parsed = parse_pllc(doc)
    assert (parsed.archive, parsed.origin) == ("http://127.0.0.1:8080/coll/", "memento")
    assert parsed.memento_url == "http://127.0.0.1:8080/coll/20230102030405id_/https%3A//e.com/p"


def test_a_header_with_an_impossible_date_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = format_pllc("https://e.com/p", "20231302030405", "# P\n")
    path = tmp_path / "x.md"
    path.write_text(doc, encoding="utf-8")
    code, _, err = run(capsys, "--archive", str(tmp_path / "A"), "import", str(path))
    assert code == 1 and "not a real date" in err


# --- a corpus text and the memento it was made from: one capture, two sources ---------------------


def _corpus_then_fetch(tmp_path: Path, httpserver: object, corpus_text: str) -> tuple[Archive, object]:
    from client_support import FakeIA, manual_session

    from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
    from archiver.client.jobs import FetchJob, run_fetch
    from archiver.pipeline import import_paths

    ia = FakeIA(httpserver)
    page = b"<html><body><h1>Privacy policy</h1><p>We keep your data for 30 days.</p></body></html>"
    ia.add("20200101000000", "https://example.com/privacy", page, digest="A")
    doc = tmp_path / "corpus.md"
    doc.write_text(
        format_pllc("https://example.com/privacy", "20200101000000", corpus_text, archive_prefix=ia.prefix),
        encoding="utf-8",
    )
    archive = Archive.open(tmp_path / "A")
    [imported] = import_paths(archive, [str(doc)])
    assert imported.capture is not None and imported.capture.sha256 is None
    session, _ = manual_session()
    endpoint = ArchiveEndpoint(ia.prefix, ArchiveKind.IA)
    summary = run_fetch(FetchJob(archive, session, endpoint, "https://example.com/privacy"))
    assert not summary.failed and len(ia.memento_requests) == 1  # the corpus text did not stop the fetch
    return archive, imported.capture


@pytest.mark.parametrize(
    ("corpus_text", "agrees"),
    [
        ("# Privacy policy\n\nWe keep your data for 30 days.\n", True),
        ("# Privacy policy\n\nWe keep your data for 90 days.\n", False),
    ],
)
def test_fetching_the_memento_of_a_corpus_text_attaches_its_bytes_to_the_same_capture(
    tmp_path: Path, httpserver: object, capsys: pytest.CaptureFixture[str], corpus_text: str, agrees: bool
) -> None:
    from archiver.attached import attachments

    archive, corpus = _corpus_then_fetch(tmp_path, httpserver, corpus_text)
    with archive:
        policy = archive.get_policy("https://example.com/privacy")
        [capture] = archive.captures(policy.id)  # one capture, not a second one
        assert capture.id == corpus.id and capture.sha256 is None  # type: ignore[attr-defined]
        [version] = archive.versions(policy.id)
        assert archive.text(version.text_sha256) == corpus_text  # the corpus text stays the version's
        attached = attachments(archive, [capture])[capture.id]
        assert attached.agrees is agrees and attached.memento_url.endswith(
            "20200101000000id_/https://example.com/privacy"
        )
        assert archive.verify() == []  # the attached bytes are named, re-hashed, no orphan
    code, out, _ = run(capsys, "--archive", str(tmp_path / "A"), "versions", "https://example.com/privacy")
    assert ("agrees with the corpus text" if agrees else "differs from the corpus text") in out


def test_fetch_of_the_memento_url_a_corpus_file_names(
    tmp_path: Path, httpserver: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from client_support import FakeIA

    from archiver.attached import attachments
    from archiver.client import pacer as pacer_module
    from archiver.client.pacer import ManualClock, Pacer
    from archiver.pipeline import import_paths

    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    ia = FakeIA(httpserver)
    page = b"<html><body><h1>Privacy policy</h1><p>We keep your data for 30 days.</p></body></html>"
    ia.add("20200101000000", "https://example.com/privacy", page, digest="A")
    ia.add("20210101000000", "https://example.com/privacy", page + b"<p>2021</p>", digest="B")
    text = "# Privacy policy\n\nWe keep your data for 30 days.\n"
    doc = tmp_path / "corpus.md"
    doc.write_text(
        format_pllc("https://example.com/privacy", "20200101000000", text, archive_prefix=ia.prefix),
        encoding="utf-8",
    )
    with Archive.open(tmp_path / "A") as archive:
        [imported] = import_paths(archive, [str(doc)])
    memento = parse_pllc(doc.read_text(encoding="utf-8")).memento_url  # as the header writes it
    code, _, err = run(
        capsys,
        "--archive",
        str(tmp_path / "A"),
        "fetch",
        memento,
        "--archive-url",
        ia.prefix,
        "--archive-kind",
        "ia",
    )
    assert code == 0, err
    assert len(ia.memento_requests) == 1  # that memento only
    with Archive.open(tmp_path / "A") as archive:
        [capture] = archive.captures(archive.get_policy("https://example.com/privacy").id)
        assert attachments(archive, [capture])[capture.id].agrees is True
