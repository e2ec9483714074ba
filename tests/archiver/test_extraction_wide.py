"""Issue 15's failure classes on real pages from sites the extractor was not built on
(tests/data/corpus-wide/README.md says where each comes from). Expected strings are taken from
Open Terms Archive's hand-selector reference of the same capture."""

from __future__ import annotations

from pathlib import Path

from archiver.extraction import extract
from archiver.models import Flag

WIDE = Path(__file__).resolve().parents[1] / "data" / "corpus-wide"


def wide(name: str) -> str:
    result = extract((WIDE / name).read_bytes(), "text/html")
    return result.text


def test_a_page_hidden_until_its_script_runs_is_not_empty() -> None:
    """Meta's site stack wraps the page in ``visibility: hidden``: it came out empty (js-shell)."""
    result = extract((WIDE / "whatsapp-privacy-hi/20250507163322.html").read_bytes(), "text/html")
    assert result.text.startswith("# WhatsApp की प्राइवेसी पॉलिसी\n\n4 जनवरी 2021 से लागू\n")
    assert result.words > 5000
    assert not {Flag.JS_SHELL, Flag.SHORT_TEXT, Flag.LOW_CONFIDENCE} & set(result.flags)


def test_the_date_line_beside_the_policy_is_kept_and_the_breadcrumb_dropped() -> None:
    text = wide("mpesa-tos/20250530043018.html")
    assert text.startswith(
        "# M-PESA Customer Terms & Conditions\n\n"
        "Published: November 22, 2021 at 8:19 PM | Last Updated: May 28, 2024 at 1:54 PM\n"
    )
    assert "Media center" not in text  # the breadcrumb menu
    assert "Accessibility settings" not in text and "Was this information helpful" not in text


def test_both_blocks_of_a_split_policy_are_kept() -> None:
    text = wide("cursor-privacy/20250612003103.html")
    overview = text.index("# Data Use & Privacy Overview")
    assert "zero data retention will be enabled" in text[overview:]
    policy = text.index("# Privacy Policy\n\nLast updated November 8, 2024")
    assert overview < policy


def test_the_title_and_intro_beside_an_accordion_are_kept() -> None:
    text = wide("caf-tos-fr/20250705123005.html")
    assert text.startswith(
        "# La Caf et vos données personnelles\n\n"
        "Les Caisses d'Allocations Familiales (Caf) s'appuient sur des outils numériques"
    )
    assert "Pourquoi collectons nous vos données personnelles ?" in text


def test_the_verified_on_line_is_kept() -> None:
    text = wide("servicepublic-tos-fr/20251002003122.html")
    assert text.startswith(
        "# Conditions générales d'utilisation\n\n"
        "Vérifié le 26 septembre 2025 - Direction de l'information légale et administrative (Premier ministre)\n"
    )


def test_a_breadcrumb_and_a_widget_label_beside_the_policy_are_dropped() -> None:
    text = wide("mesaides-privacy-fr/20250724123057.html")
    assert text.startswith("# Politique de confidentialité\n\n")
    assert "Accueil" not in text and "Votre recherche" not in text


def test_a_policy_the_main_content_step_misses_is_not_lost() -> None:
    """The fallback: a policy in a modal (dropped as a dialog) comes out, flagged low-confidence."""
    paragraph = "We keep the personal data you give us for as long as your account is open. " * 4
    body = "".join(f"<h2>Section {i}</h2><p>{paragraph}</p>" for i in range(6))
    html = f"<html><body><div role='dialog'><h1>Privacy policy</h1>{body}</div></body></html>"
    result = extract(html.encode(), "text/html")
    assert result.text.startswith("# Privacy policy\n\n## Section 0\n\nWe keep the personal data")
    assert result.words > 300
    assert Flag.LOW_CONFIDENCE in result.flags and Flag.JS_SHELL not in result.flags


def test_a_page_with_little_text_gets_no_fallback() -> None:
    html = (
        "<html><body><div role='dialog'><p>Accept cookies to continue.</p></div><main></main></body></html>"
    )
    result = extract(html.encode(), "text/html")
    assert result.text == ""
    assert Flag.LOW_CONFIDENCE not in result.flags


def test_each_version_has_its_language_and_a_switch_is_flagged(tmp_path: Path) -> None:
    """A page that serves another language for a while: an English page, then a French one, then
    English again at the same address (real pages from tests/data/corpus-wide)."""
    from archiver.pipeline import import_paths
    from archiver.storage import Archive

    english = WIDE / "mpesa-tos/20250530043018.html"
    french = WIDE / "servicepublic-tos-fr/20251002003122.html"
    hindi = WIDE / "whatsapp-privacy-hi/20250507163322.html"
    url = "https://example.com/terms"
    with Archive.open(tmp_path / "A") as archive:
        # capture dates in the past: a future one is refused (issue 18)
        for n, (source, date) in enumerate(
            ((english, "2021"), (french, "2022"), (english, "2023"), (hindi, "2024"))
        ):
            path = tmp_path / f"page{n}.html"  # each capture its own bytes (the same bytes are one capture)
            path.write_bytes(source.read_bytes() + f"<!-- capture {n} -->".encode())
            assert [r.error for r in import_paths(archive, [str(path)], url=url, date=date)] == [""]
        versions = archive.versions(archive.get_policy(url).id)
    assert [v.language for v in versions] == ["en", "fr", "en", "hi"]
    assert [Flag.LANGUAGE_CHANGED.value in v.flags for v in versions] == [False, True, True, True]
