"""normalize_text on each kind of character it rewrites, in a line of the real Heloa policy."""

from __future__ import annotations

from archiver.extraction import normalize_text


def test_normalize_text_rewrites_what_a_reader_cannot_see() -> None:
    raw = (
        # a PDF's ligature, Windows line endings, blank lines
        "# Politique de con\ufb01dentialit\u00e9\r\n\r\n\r\n\r\n"
        # NBSP, two spaces, a typographic apostrophe, a zero-width space, a tab, trailing spaces
        "Le\u00a013 d\u00e9cembre 2024,  nous avons chang\u00e9 d\u2019h\u00e9bergeur\u200b pour le site\tinternet.   \r\n"
        # an indent (kept), a soft hyphen, Unicode line and paragraph separators
        "  - un sous\u00adtraitant en moins\u2028\u2029"
        # a narrow NBSP, decomposed accents (NFC), a non-breaking hyphen (kept: it is visible)
        "Kelindi SAS\u202fest re\u0301fe\u0301rence\u0301e ci\u2011dessous"
    )
    assert normalize_text(raw) == (
        "# Politique de confidentialit\u00e9\n\n"
        "Le 13 d\u00e9cembre 2024, nous avons chang\u00e9 d'h\u00e9bergeur pour le site internet.\n"
        "  - un soustraitant en moins\n\n"
        "Kelindi SAS est r\u00e9f\u00e9renc\u00e9e ci\u2011dessous\n"
    )
    assert normalize_text("\u200b\r\n \u00a0\n") == ""
