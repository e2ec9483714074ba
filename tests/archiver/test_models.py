"""Records: which version a version is compared with by default (error pages and shells left out)."""

from __future__ import annotations

from archiver.models import Capture, Flag, Source, Version, baseline


def _version(index: int, *flags: Flag) -> Version:
    capture = Capture(
        id=index,
        policy_id=1,
        source=Source.FILE,
        timestamp=f"2020010{index + 1}000000",
        original_url="https://example.com/privacy",
    )
    return Version(
        policy_id=1,
        text_sha256=f"{index:064x}",
        extractor_version="t",
        words=100,
        language="en",
        stated_date="",
        captures=(capture,),
        flags=tuple(f.value for f in flags),
        index=index,
    )


def test_baseline_skips_versions_that_hold_no_policy_text() -> None:
    versions = [
        _version(0, Flag.JS_SHELL),  # the first capture was an empty shell
        _version(1),
        _version(2, Flag.ERROR_PAGE),
        _version(3, Flag.SOFT_404),
        _version(4, Flag.TRUNCATED),  # still policy text
        _version(5, Flag.SHORT_TEXT, Flag.LANGUAGE_CHANGED),
    ]
    assert [v.is_policy_text for v in versions] == [False, True, False, False, True, True]
    # policy text against the previous policy text, over the error pages: no "deleted, then back"
    assert baseline(versions, 4) == 1
    assert baseline(versions, 5) == 4
    # the first real text has nothing to compare with (the shell before it is not a policy)
    assert baseline(versions, 1) is None
    # an error page chosen on purpose is shown against what came just before it
    assert baseline(versions, 2) == 1 and baseline(versions, 3) == 2
    assert baseline(versions, 0) is None
