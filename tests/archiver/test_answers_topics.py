"""Topics of a change (issue 14, part 4): the shipped watchlist, matched words on real changes in
English (GitHub), French (Heloa) and Chinese (Doubao), priorities, an edited watchlist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archiver.analysis.topics import (
    DEFAULT_WATCHLIST,
    TopicMatch,
    load_watchlist,
    matcher,
    parse_watchlist,
    priority,
    save_watchlist,
)
from archiver.cli import main
from archiver.errors import WatchlistError

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = DATA / "corpus"


def _diff_json(capsys: pytest.CaptureFixture[str], a: Path, b: Path, *extra: str) -> dict[str, Any]:
    code = main(["diff", str(a), str(b), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code == 1, err
    data: dict[str, Any] = json.loads(out)
    return data


def _row(data: dict[str, Any], kind: str, text: str) -> dict[str, Any]:
    rows = [
        r
        for r in data["rows"]
        if r["kind"] == kind and any(side and text in side["text"] for side in (r["left"], r["right"]))
    ]
    assert len(rows) == 1, f"{len(rows)} {kind} rows hold {text!r}"
    return rows[0]


def _topics(row: dict[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    return [(t["topic"], t["words"], t["changed_words"]) for t in row["topics"]]


def test_the_shipped_watchlist_covers_the_issue() -> None:
    watchlist = load_watchlist()
    opp115 = [t.id for t in watchlist.topics if t.group == "OPP-115"]
    assert len(opp115) == 10
    for wanted in (
        "sale-of-data",
        "ai-training",
        "biometrics",
        "children",
        "cookies-tracking",
        "international-transfers",
        "arbitration",
    ):
        assert watchlist.topic(wanted) is not None
    for topic in watchlist.topics:
        assert {"en", "fr", "de", "es", "it", "nl"} <= {lang for lang, terms in topic.terms if terms}


def test_french_change_heloa(capsys: pytest.CaptureFixture[str]) -> None:
    data = _diff_json(
        capsys,
        CORPUS / "heloa-privacy-fr" / "20250902003011.html",
        CORPUS / "heloa-privacy-fr" / "20250926123039.html",
    )
    assert data["topics_language"] == "fr"
    added = _row(data, "insert", "nous avons ajouté 2 sous-traitants: RevenueCat et Apple")
    assert _topics(added) == [("third-party-sharing", ["sous-traitants"], ["sous-traitants"])]
    assert added["topics"][0]["name"] == "Third-party sharing/collection"
    assert added["priority"] == {"score": 4, "why": "third-party-sharing 2×(2×1)"}
    # the same sentence, once per new sub-processor (a third one was there before: unchanged, no topics)
    # (version identity writes typographic apostrophes straight: markdown.normalize_text)
    transfers = [
        r
        for r in data["rows"]
        if r["kind"] == "insert" and "peuvent transiter hors de l" in r["right"]["text"]
    ]
    assert len(transfers) == 2
    for row in transfers:
        assert _topics(row) == [
            (
                "international-transfers",
                ["transiter hors", "clauses contractuelles"],
                ["transiter hors", "clauses contractuelles"],
            )
        ]
        assert row["priority"]["score"] == 8
    # rows without a topic carry an empty list, unchanged rows too
    assert all(r["topics"] == [] for r in data["rows"] if r["kind"] == "equal")


def test_english_change_github(capsys: pytest.CaptureFixture[str]) -> None:
    data = _diff_json(
        capsys,
        CORPUS / "github-privacy" / "20230501183000.html",
        CORPUS / "github-privacy" / "20231013183001.html",
    )
    assert data["topics_language"] == "en"
    dpf = _row(data, "insert", "under the Data Privacy Framework (DPF) Principles")
    assert _topics(dpf) == [
        ("first-party-collection", ["personal information"], ["personal information"]),
        ("third-party-sharing", ["third party"], ["third party"]),
        ("international-transfers", ["data privacy framework"], ["data privacy framework"]),
    ]
    assert dpf["priority"]["score"] == 10
    dpo = _row(data, "delete", "GitHub Data Protection Officer")
    assert _topics(dpo) == [("other", ["data protection officer"], ["data protection officer"])]
    # an edited paragraph: topic words outside the edit are context, not change
    # a paragraph split in two: the new second half, whose words all come from the old paragraph
    (edited,) = [
        r
        for r in data["rows"]
        if r["kind"] == "replace"
        and r["left"] is None
        and "you may have the right to file" in r["right"]["text"]
    ]
    assert _topics(edited) == [("other", ["complaint", "supervisory authority"], [])]
    assert edited["priority"] == {"score": 2, "why": "other 1×(2)"}


def test_chinese_change_doubao(capsys: pytest.CaptureFixture[str]) -> None:
    data = _diff_json(
        capsys,
        DATA / "answers" / "doubao-privacy-zh-20260525070337.md",
        DATA / "answers" / "doubao-privacy-zh-20260615190209.md",
    )
    assert data["topics_language"] == "zh"
    training = _row(data, "replace", "我们也可能会将**以下数据用户分析和模型训练**")
    found = dict((t, c) for t, _, c in _topics(training))
    assert found["ai-training"] == ["模型训练"]
    assert found["data-security"] == ["加密"]
    dates = _row(data, "insert", "**更新日期：2026年6月15日**")
    assert _topics(dates) == [("policy-change", ["更新"], ["更新"])]


def test_terms_match_whole_words_prefixes_and_their_own_language() -> None:
    watchlist = load_watchlist()

    def words(text: str, language: str) -> list[tuple[str, str]]:
        return [(t.id, w) for topics, w, _, _ in matcher(watchlist, language).find(text) for t in topics]

    assert words("We use Cookies and web  beacons.", "en") == [
        ("first-party-collection", "we use"),
        ("cookies-tracking", "cookies"),
        ("cookies-tracking", "web beacons"),
    ]
    assert words("This kind of data", "en") == []  # the Dutch "kind" is not an English term
    assert words("Precookies, cookieless", "en") == [
        ("cookies-tracking", "cookieless")
    ]  # cookie* begins words
    assert words("Gegevens van een kind worden niet verkocht.", "nl") == [
        ("children", "kind"),
        ("sale-of-data", "verkocht"),
    ]
    assert words("Wir verkaufen keine Daten an Dritte.", "de") == [
        ("sale-of-data", "verkaufen"),
        ("third-party-sharing", "dritte"),
    ]


def test_priority_explains_itself() -> None:
    matches = (
        TopicMatch("children", "Children", 3, ("child", "minors"), ("child",)),
        TopicMatch("cookies-tracking", "Cookies and tracking", 2, ("cookies",), ()),
    )
    found = priority(matches)
    assert found.score == 3 * (2 * 1 + 1) + 2 * 1
    assert found.why == "children 3×(2×1 + 1) + cookies-tracking 2×(1)"


def test_an_edited_watchlist_in_the_archive_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    shipped = load_watchlist()
    mine = parse_watchlist(
        {
            "topics": [
                {
                    "id": "subprocessors",
                    "name": "Sous-traitants",
                    "weight": 3,
                    "terms": {"fr": ["sous-traitant*"]},
                }
            ]
        }
    )
    save_watchlist(mine, archive / "topics.json")
    assert load_watchlist(archive / "topics.json") == parse_watchlist(
        mine.as_json(), str(archive / "topics.json")
    )
    before, after = (
        CORPUS / "heloa-privacy-fr" / "20250902003011.html",
        CORPUS / "heloa-privacy-fr" / "20250926123039.html",
    )
    data = _diff_json(capsys, before, after, "--topics", str(archive / "topics.json"))
    row = _row(data, "insert", "nous avons ajouté 2 sous-traitants")
    assert _topics(row) == [("subprocessors", ["sous-traitants"], ["sous-traitants"])]
    code = main(["--archive", str(archive), "diff", str(before), str(after), "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert {t["topic"] for r in json.loads(out)["rows"] for t in r["topics"]} == {"subprocessors"}
    assert DEFAULT_WATCHLIST.is_file() and len(shipped.topics) == 17


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"topics": []}', "it lists no topics"),
        ('{"topics": [{"id": "Bad Id", "terms": {"en": ["x"]}}]}', "needs an id of lower-case letters"),
        ('{"topics": [{"id": "a", "weight": 5, "terms": {"en": ["x"]}}]}', "weight must be 1, 2 or 3"),
        ('{"topics": [{"id": "a", "terms": {"en": "x"}}]}', "the 'en' terms must be a list of words"),
    ],
)
def test_a_bad_watchlist_says_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "topics.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WatchlistError, match=message):
        load_watchlist(path)
    a = CORPUS / "heloa-privacy-fr" / "20250902003011.html"
    code = main(["diff", str(a), str(a), "--format", "json", "--topics", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err


def test_report_groups_changes_by_topic_and_states_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, url = str(tmp_path / "archive"), "https://heloa.app/fr/privacy"
    for stamp in ("20250902003011", "20250926123039"):
        path = CORPUS / "heloa-privacy-fr" / f"{stamp}.html"
        assert main(["--archive", a, "import", str(path), "--url", url, "--date", stamp]) == 0
    out = tmp_path / "report.html"
    assert main(["--archive", a, "report", f"{url}@20250902", f"{url}@20250926", "--html", str(out)]) == 0
    capsys.readouterr()
    html = out.read_text(encoding="utf-8")
    section = html[html.index("<h2>Changes by topic</h2>") : html.index("<h2>Provenance of the older")]
    assert "watchlist shipped with policydiff" in section
    assert [h.split("</h3>")[0] for h in section.split("<h3>")[1:]] == [
        "Third-party sharing/collection (1 change)",
        "International transfers (2 changes)",
        "Arbitration (1 change)",
    ]
    assert "<b>transiter hors</b>, <b>clauses contractuelles</b>" in section
    assert "insert, priority 8" in section
    assert "“*En vigueur au 13 décembre 2024*” (effective: 2024-12-13)" in html
    assert "<th>Flags</th><td>silent-change</td>" in html
