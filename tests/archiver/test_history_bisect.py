"""The search logic of change-point discovery on its own (no network): which rows it probes, and
that every change is bracketed by adjacent rows when each text lasts longer than the sample span."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.history.bisect import Bisection, Change, sample_rows
from archiver.sametext import same_text, text_key
from archiver.timestamps import from_datetime, to_datetime

START = to_datetime("20200101000000")


def stamps(hours: list[int]) -> list[str]:
    return [from_datetime(START + timedelta(hours=h)) for h in hours]


def run(texts: list[str | None], times: list[str], spacing: timedelta | None) -> tuple[Bisection, list[int]]:
    """Probe as the job does, with ``texts`` as the archive's answers (None: no policy text)."""
    candidates = list(range(len(texts)))
    search = Bisection(len(texts), samples=sample_rows(times, candidates, spacing))
    probes = []
    while (i := search.next_probe()) is not None:
        assert i not in probes, "a row is never probed twice"
        probes.append(i)
        search.record(i, texts[i])
    return search, probes


def test_samples_are_the_ends_and_one_row_per_span() -> None:
    times = stamps([0, 10, 23, 24, 30, 47, 49, 50])
    assert sample_rows(times, range(8), timedelta(days=1)) == [0, 3, 6, 7]
    assert sample_rows(times, range(8), None) == [0, 7]
    assert sample_rows(times, [1, 2, 4], timedelta(days=1)) == [1, 4]  # only rows that may hold text
    assert sample_rows(times, [], timedelta(days=1)) == []


def test_a_single_change_takes_a_binary_search() -> None:
    texts: list[str | None] = ["a"] * 700 + ["b"] * 324
    search, probes = run(texts, stamps(list(range(1024))), None)
    assert search.changes() == [Change(699, 700)]
    assert len(probes) <= 2 + 10  # the ends, then log2(1022) steps


def test_rows_the_listing_marks_without_text_are_never_probed_and_do_not_open_a_window() -> None:
    texts: list[str | None] = ["a"] * 5 + [None] * 3 + ["b"] * 5
    search = Bisection(13, no_text=[5, 6, 7], samples=[0, 12])
    probes = []
    while (i := search.next_probe()) is not None:
        probes.append(i)
        search.record(i, texts[i])
    assert not {5, 6, 7} & set(probes)
    assert search.changes() == [Change(4, 8)]


def test_a_failed_probe_keeps_the_window_open_with_what_failed_inside() -> None:
    search = Bisection(3, samples=[0, 2])
    search.record(0, "a")
    search.record(2, "b")
    assert search.next_probe() == 1
    search.fail(1)
    assert search.next_probe() is None
    assert search.changes() == [Change(0, 2, unknown=0, failed=1)] and not search.changes()[0].exact


def test_rows_before_the_first_text_are_stepped_through() -> None:
    texts: list[str | None] = [None, None, "a", "a", "b"]
    search, probes = run(texts, stamps([0, 1, 2, 3, 4]), None)
    assert probes == [0, 1, 2, 4, 3] and search.changes() == [Change(3, 4)]


def test_a_sampled_row_without_text_hands_over_to_the_next_one() -> None:
    # B lasts 3 rows and its sampled row (10) is an error page: the next row stands in for it
    texts: list[str | None] = ["a"] * 10 + [None, "b", "b"] + ["a"] * 10
    search, probes = run(texts, stamps([24 * d for d in range(23)]), timedelta(days=10))
    assert probes[:4] == [0, 10, 11, 20]
    assert search.changes() == [Change(9, 11), Change(12, 13)]


def test_remaining_counts_the_samples_then_a_binary_search_per_open_window() -> None:
    search = Bisection(100, samples=[0, 50, 99])
    assert search.remaining() == 3
    search.record(0, "a")
    search.record(50, "a")
    search.record(99, "b")
    assert search.remaining() == 6  # 48 rows between 50 and 99: ceil(log2(49))


def test_same_text_ignores_whitespace_only() -> None:
    assert same_text("A  policy\n\nfor you", "A policy for\u00a0you")
    assert text_key("A  policy\n\nfor you") == text_key("A policy for\u00a0you")
    assert not same_text("A policy for you", "A policy for them")
    assert text_key("ab") != text_key("a b")


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[str | None], list[str], timedelta]:
    """Captures at random times; texts in runs that each last longer than the sample span."""
    span_hours = draw(st.integers(min_value=2, max_value=48))
    runs = draw(st.integers(min_value=1, max_value=8))
    hours: list[int] = []
    texts: list[str | None] = []
    clock = 0
    last = None
    for _ in range(runs):
        text = draw(st.sampled_from("abcd").filter(lambda t, last=last: t != last))
        count = draw(st.integers(min_value=2, max_value=25))
        gaps = draw(st.lists(st.integers(min_value=1, max_value=span_hours), min_size=count, max_size=count))
        run_hours = []
        for g in gaps:
            clock += g
            run_hours.append(clock)
        if run_hours[-1] - run_hours[0] < span_hours:  # make the run outlast the span
            extra = span_hours - (run_hours[-1] - run_hours[0])
            run_hours[-1] += extra
            clock += extra
        hours += run_hours
        texts += [text] * count
        last = text
    return texts, stamps(hours), timedelta(hours=span_hours)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_every_change_is_bracketed_exactly_when_texts_outlast_the_sample_span(
    history: tuple[list[str | None], list[str], timedelta],
) -> None:
    texts, times, spacing = history
    expected = [Change(i - 1, i) for i in range(1, len(texts)) if texts[i] != texts[i - 1]]
    search, probes = run(texts, times, spacing)
    assert search.changes() == expected
    assert all(c.exact for c in search.changes())
    assert len(set(probes)) == len(probes) <= len(texts)
