"""URL input rules (docs/fault-cases.md cases 1-3) and the policy grouping key."""

from __future__ import annotations

import pytest

from archiver.errors import InvalidURLError
from archiver.urls import display_url, normalize_url, policy_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Example.COM/privacy#cookies ", "https://example.com/privacy"),
        ("http://www.example.com", "http://www.example.com/"),
        ("https://bücher.de/datenschutz?lang=de", "https://xn--bcher-kva.de/datenschutz?lang=de"),
        ("https://example.cn/隐私", "https://example.cn/%E9%9A%90%E7%A7%81"),
        ("localhost:8080/policy", "https://localhost:8080/policy"),
        ("http://[::1]:8080/p", "http://[::1]:8080/p"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("mailto:privacy@example.com", "mailto: is not a web address"),
        ("javascript:alert(1)", "javascript: is not a web address"),
        ("data:text/html,hi", "data: is not a web address"),
        ("ftp://example.com/p", "only http and https"),
        ("http:///privacy", "no host"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com:99999/", "port"),
        ("https://user:secret@example.com/", "user name or password"),
        ("", "empty"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidURLError, match=reason):
        normalize_url(raw)


def test_variants_share_a_policy_key() -> None:
    keys = {
        policy_key(u)
        for u in (
            "https://www.example.com/privacy/",
            "http://example.com/privacy",
            "example.com/privacy#x",
            "https://example.com:443/privacy?utm_source=news&utm_medium=mail",
            "https://example.com/%70rivacy",
        )
    }
    assert keys == {"example.com/privacy"}
    assert policy_key("https://example.com/privacy?lang=fr") != policy_key("https://example.com/privacy")
    assert policy_key("https://example.com/Privacy") != policy_key("https://example.com/privacy")


@pytest.mark.parametrize(
    "typed",
    [
        "https://bücher.de/datenschutz?lang=de",
        "https://пример.рф/политика-конфиденциальности",  # Cyrillic host and path
        "https://example.cn/隐私政策?版本=2",  # CJK path and query
        "https://例え.jp/プライバシー",
        "https://example.com/privacy-🍪/",  # emoji
    ],
)
def test_non_ascii_urls_are_encoded_for_requests_and_shown_as_typed(typed: str) -> None:
    normal = normalize_url(typed)
    assert normal.isascii()  # what goes into url= and the replay path
    assert display_url(normal) == typed  # what the user reads
    assert policy_key(typed) == policy_key(display_url(normal))


def test_display_keeps_ascii_escapes_and_bad_bytes() -> None:
    url = "https://example.com/a%2Fb%20c/%E9%9A%90/%FF?q=%26"
    assert display_url(url) == "https://example.com/a%2Fb%20c/隐/%FF?q=%26"
