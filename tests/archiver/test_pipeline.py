"""archiver.pipeline: captures stored through extraction, as every fetch and import stores them.

docs/fault-cases.md: case 19 (a consent or login wall's version carries ``consent-or-login-wall``
and is left out of default comparisons), case 21 (non-HTML policies: every capture's bytes are kept
byte-exact; text only where there is an extractor, otherwise a warning and no version), case 22 (a
JavaScript shell's version carries the ``js-shell`` flag) and case 23 (one text archived in two
encodings is one version). Texts come from tests/data/extraction/ and tests/data/corpus/ (see their
READMEs); the PNG is made here.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import pytest

from archiver.extraction import from_markdown
from archiver.models import Capture, Flag, Policy, Source, baseline
from archiver.pipeline import import_paths, store_capture
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data"
URL = "https://example.com/privacy"
FR = (DATA / "extraction" / "policy_fr.txt").read_text(encoding="utf-8")


def _png(width: int = 16, height: int = 16) -> bytes:
    """A valid greyscale PNG (a "scanned policy" as far as type goes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((x * 16 + y) % 256 for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _capture(timestamp: str, content_type: str) -> Capture:
    return Capture(
        id=0,
        policy_id=0,
        source=Source.WAYBACK,
        timestamp=timestamp,
        original_url=URL,
        archive="https://web.archive.org/web/",
        memento_url=f"https://web.archive.org/web/{timestamp}id_/{URL}",
        http_status=200,
        content_type=content_type,
    )


def _html(markdown: str, head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in markdown.split("\n\n") if not p.startswith(("#", "-", "*")))
    return f"<!DOCTYPE html><html><head>{head}<title>Politique</title></head><body><main>{paragraphs}</main></body></html>"


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive.open(tmp_path / "archive")


@pytest.fixture
def policy(archive: Archive) -> Policy:
    return archive.ensure_policy(URL)


# --- case 21: no text extractor: bytes kept, no text, a warning, not a crash ----------------------


NO_EXTRACTOR = [
    # (id, body, archived Content-Type, the type the warning names)
    ("png", _png(), "image/png", "image/png"),
    ("png-served-as-html", _png(), "text/html", "image/png"),
    (
        "gif-no-content-type",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04" + bytes(30),
        "",
        "image/gif",
    ),
    ("zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)), "application/zip", "application/zip"),
    ("octet-stream", bytes(range(256)) * 8, "application/octet-stream", "application/octet-stream"),
    ("stylesheet", b"body{margin:0}\n.policy{font-family:serif}\n", "text/css", "text/css"),
]


@pytest.mark.parametrize(
    ("body", "content_type", "named"), [c[1:] for c in NO_EXTRACTOR], ids=[c[0] for c in NO_EXTRACTOR]
)
def test_a_capture_with_no_text_extractor_keeps_its_bytes_and_says_why(
    archive: Archive, policy: Policy, body: bytes, content_type: str, named: str
) -> None:
    stored, created, warning = store_capture(archive, policy, _capture("20200101000000", content_type), body)
    assert created
    assert "no text" in warning and f"'{named}'" in warning  # says why, and names the type
    assert archive.read_body(stored) == body  # byte-exact
    assert stored.sha256 == hashlib.sha256(body).hexdigest() and stored.size == len(body)
    assert stored.content_type == content_type  # the archived header, as archived
    assert archive.extraction(stored.id) is None  # no text stored
    assert archive.captures(policy.id) == [stored]
    assert archive.versions(policy.id) == []  # a capture with no text is not a version


def test_an_image_among_html_captures_leaves_the_versions_alone(archive: Archive, policy: Policy) -> None:
    html = _html(FR).encode()
    store_capture(archive, policy, _capture("20200101000000", "text/html"), html)
    _, _, warning = store_capture(archive, policy, _capture("20200601000000", "image/png"), _png())
    store_capture(archive, policy, _capture("20210101000000", "text/html"), html)
    assert "image/png" in warning
    assert len(archive.captures(policy.id)) == 3
    [version] = archive.versions(policy.id)  # the scan neither ends nor splits the version
    assert [c.timestamp for c in version.captures] == ["20200101000000", "20210101000000"]


def test_an_imported_image_file_is_refused_and_named(archive: Archive, tmp_path: Path) -> None:
    # `policydiff import FILE --url` reads what it stores (issue 18): a scan saved as .png is refused
    # with what it is, as `extract` does, and nothing is stored
    path = tmp_path / "privacy-scan.png"
    path.write_bytes(_png(32, 8))
    [result] = list(import_paths(archive, [str(path)], url=URL, date="20240301"))
    assert result.capture is None and result.error
    assert "'image/png'" in result.error and "import HTML, PDF, text" in result.error
    assert all(archive.captures(p.id) == [] for p in archive.policies())
    assert not list((archive.root / "blobs").glob("*/*"))


# --- case 21: the documents that do have an extractor ----------------------------------------------


def test_xhtml_plain_text_and_pdf_captures_store_their_text(archive: Archive, policy: Policy) -> None:
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        + _html(FR).replace("<html>", '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fr">')
    ).encode()
    plain = FR.replace("\n", "\r\n").encode("cp1252")
    pdf = (DATA / "corpus" / "doctolib-privacy-pdf-fr" / "20250718003000.pdf").read_bytes()
    captures = [
        ("20200101000000", "application/xhtml+xml", xhtml),
        ("20210101000000", "text/plain; charset=windows-1252", plain),
        ("20220101000000", "application/pdf", pdf),
    ]
    stored = []
    for timestamp, content_type, body in captures:
        capture, created, warning = store_capture(archive, policy, _capture(timestamp, content_type), body)
        assert created and warning == ""
        assert archive.read_body(capture) == body
        stored.append(capture)

    # straight apostrophes: the form version identity writes (markdown.normalize_text)
    first_paragraph = next(p for p in FR.split("\n\n") if not p.startswith(("#", "-", "*"))).replace("’", "'")
    xhtml_text = archive.extraction(stored[0].id)
    assert xhtml_text is not None and first_paragraph in xhtml_text.text and "<" not in xhtml_text.text
    plain_text = archive.extraction(stored[1].id)
    assert plain_text is not None and plain_text.text == from_markdown(FR).text  # CRLF, cp1252 undone
    pdf_text = archive.extraction(stored[2].id)
    assert pdf_text is not None and "Politique de protection des Données" in pdf_text.text
    assert pdf_text.words > 1000
    assert [v.first.id for v in archive.versions(policy.id)] == [c.id for c in stored]


# --- case 22: a JavaScript shell's version is flagged ------------------------------------------------


def test_a_javascript_shell_version_carries_the_js_shell_flag(archive: Archive, policy: Policy) -> None:
    # policy text, then the site turned into a single-page app (the archived HTML is an empty
    # shell), then the text again: the shell is a version of its own, flagged, so the default
    # comparison can skip it rather than show "policy deleted" and back.
    html = _html(FR).encode()
    shell = (DATA / "extraction" / "spa_shell_react.html").read_bytes()
    store_capture(archive, policy, _capture("20200101000000", "text/html"), html)
    _, _, warning = store_capture(
        archive, policy, _capture("20210101000000", "text/html; charset=utf-8"), shell
    )
    store_capture(archive, policy, _capture("20220101000000", "text/html"), html)
    assert warning == ""  # a shell is stored with its (short) text: it is not an extraction failure
    before, empty, after = archive.versions(policy.id)
    assert Flag.JS_SHELL.value in empty.flags and Flag.SHORT_TEXT.value in empty.flags
    assert empty.words < 20
    assert Flag.JS_SHELL.value not in before.flags and Flag.JS_SHELL.value not in after.flags
    assert before.text_sha256 == after.text_sha256


# --- case 19: a consent or login wall archived instead of the policy ---------------------------------


@pytest.mark.parametrize("wall", ["wall_consent_didomi.html", "wall_login.html"])
def test_a_wall_version_is_flagged_and_left_out_of_default_comparisons(
    archive: Archive, policy: Policy, wall: str
) -> None:
    # policy text, then the archive caught the cookie wall (or the login page) instead, then the
    # text again: the wall is stored as a version of its own, flagged, and the text after it is
    # compared with the text before it, not with the wall ("policy deleted" and back)
    html = _html(FR).encode()
    store_capture(archive, policy, _capture("20200101000000", "text/html"), html)
    _, _, warning = store_capture(
        archive, policy, _capture("20210101000000", "text/html"), (DATA / "extraction" / wall).read_bytes()
    )
    store_capture(archive, policy, _capture("20220101000000", "text/html"), html)
    assert warning == ""  # a wall is a valid memento: stored with its short text, not a failure
    versions = archive.versions(policy.id)
    before, walled, after = versions
    assert Flag.WALL.value in walled.flags and Flag.SHORT_TEXT.value in walled.flags
    assert not walled.is_policy_text and before.is_policy_text and after.is_policy_text
    assert baseline(versions, 2) == 0
    assert Flag.WALL.value not in before.flags and before.text_sha256 == after.text_sha256


# --- case 23: a different decoding is not a change --------------------------------------------------


def test_one_text_in_two_encodings_is_one_version(archive: Archive, policy: Policy) -> None:
    page = _html(FR)
    legacy = page.encode("cp1252")
    modern = page.replace("<head>", '<head><meta charset="utf-8">').encode("utf-8")
    assert legacy != modern
    a, _, _ = store_capture(
        archive, policy, _capture("20150101000000", "text/html; charset=windows-1252"), legacy
    )
    b, _, _ = store_capture(archive, policy, _capture("20180101000000", "text/html"), modern)
    assert "Mentions Légales" in page
    changed = page.replace("Mentions Légales", "Conditions Générales", 1).encode("utf-8")
    c, _, _ = store_capture(archive, policy, _capture("20190101000000", "text/html; charset=utf-8"), changed)
    ea, eb = archive.extraction(a.id), archive.extraction(b.id)
    assert ea is not None and eb is not None
    assert (ea.charset, eb.charset) == ("cp1252", "utf-8")  # two decodings...
    assert ea.text_sha256 == eb.text_sha256  # ...one text
    first, second = archive.versions(policy.id)  # and only the real edit is a new version
    assert [cap.id for cap in first.captures] == [a.id, b.id]
    assert [cap.id for cap in second.captures] == [c.id]
