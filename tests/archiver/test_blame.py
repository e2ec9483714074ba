"""Paragraph history (archiver/analysis/blame.py, `policydiff blame`).

The versions are made from a real policy, GitHub's privacy statement of 2023-04-25 (its reference
extraction in tests/data/corpus, see its README), edited by hand here: a paragraph is moved far down,
then changed; later a paragraph is inserted and another changed. The expected dates are the ones the
edits were stored at.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.analysis.blame import blame, blame_texts
from archiver.cli import main
from archiver.extraction import from_markdown
from archiver.models import Capture, Source
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data" / "corpus"
URL = "https://docs.github.com/en/site-policy/privacy-policies/github-privacy-statement"
V0, V0_AGAIN, V1, V2, V3 = (
    "20200101000000",
    "20200301000000",
    "20200601000000",
    "20210101000000",
    "20220101000000",
)
NEW = "We now use your personal data to train artificial intelligence models."


def _paragraphs() -> list[str]:
    text = from_markdown((DATA / "github-privacy" / "20230425183000.ref.md").read_text("utf-8")).text
    return text.split("\n\n")


BASE = _paragraphs()
MOVED = BASE[10]  # "The data controller of your personal data is GitHub, Inc. ..."
MOVED_EDITED = MOVED.replace("GitHub, Inc.", "GitHub B.V.", 1)
CHANGED = BASE[21]  # "In some cases, we request that you provide age, gender, ..."
CHANGED_EDITED = CHANGED + " We never sell it."
UNTOUCHED = BASE[4]
ANCHOR = BASE[150]  # the moved paragraph goes right after it


def _versions() -> list[tuple[str, list[str]]]:
    v0 = list(BASE)
    v1 = [p for p in v0 if p != MOVED]
    v1.insert(v1.index(ANCHOR) + 1, MOVED)
    v2 = [MOVED_EDITED if p == MOVED else p for p in v1]
    v3 = [CHANGED_EDITED if p == CHANGED else p for p in v2]
    v3.insert(5, NEW)
    return [(V0, v0), (V0_AGAIN, v0), (V1, v1), (V2, v2), (V3, v3)]


@pytest.fixture
def archive_root(tmp_path: Path) -> Path:
    assert MOVED.startswith("The data controller") and "GitHub, Inc." in MOVED
    assert CHANGED.startswith("In some cases, we request")
    with Archive.open(tmp_path) as archive:
        policy = archive.ensure_policy(URL)
        for ts, paras in _versions():
            capture = Capture(
                id=0,
                policy_id=0,
                source=Source.FILE,
                timestamp=ts,
                original_url=URL,
                content_type="text/markdown",
            )
            archive.add_capture(policy, capture, None, from_markdown("\n\n".join(paras) + "\n"))
    return tmp_path


def _blame_json(root: Path, capsys: pytest.CaptureFixture[str], target: str) -> dict[str, object]:
    assert main(["--archive", str(root), "blame", target, "--json"]) == 0
    return dict(json.loads(capsys.readouterr().out))


def _by_text(result: dict[str, object]) -> dict[str, dict[str, object]]:
    paragraphs = result["paragraphs"]
    assert isinstance(paragraphs, list)
    return {p["text"]: p for p in paragraphs}


def test_a_paragraph_moved_then_changed_keeps_its_origin(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _blame_json(archive_root, capsys, URL)
    assert result["version"] == V3 and result["versions"] == [V0, V1, V2, V3]
    paras = _by_text(result)
    moved = paras[MOVED_EDITED]
    assert (moved["introduced"], moved["last_changed"]) == (V0, V2)
    assert moved["history"] == [{"version": V0, "text": MOVED}, {"version": V2, "text": MOVED_EDITED}]
    assert (paras[CHANGED_EDITED]["introduced"], paras[CHANGED_EDITED]["last_changed"]) == (V0, V3)
    assert (paras[NEW]["introduced"], paras[NEW]["last_changed"]) == (V3, V3)
    assert (paras[UNTOUCHED]["introduced"], paras[UNTOUCHED]["last_changed"]) == (V0, V0)
    # every paragraph of the version, in text order; the moved one now sits after its anchor
    order = list(paras)
    assert order.index(MOVED_EDITED) == order.index(ANCHOR) + 1
    blocks = [p["block"] for p in result["paragraphs"]]  # type: ignore[attr-defined]
    assert blocks == sorted(blocks)
    assert sum(p["last_changed"] == V3 for p in paras.values()) == 2


def test_a_move_alone_is_not_a_change(archive_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = _blame_json(archive_root, capsys, f"{URL}@202006")
    assert result["version"] == V1 and result["versions"] == [V0, V1]
    moved = _by_text(result)[MOVED]
    assert (moved["introduced"], moved["last_changed"]) == (V0, V0)
    assert moved["history"] == [{"version": V0, "text": MOVED}]


def test_blame_text_output(archive_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--archive", str(archive_root), "blame", URL]) == 0
    out = capsys.readouterr()
    assert f"20220101 20220101  {NEW}" in out.out.splitlines()
    assert "20200101 20210101  The data controller of your personal data is GitHub B.V." in out.out
    assert out.err.endswith(
        " paragraphs of the version of 2022-01-01 00:00:00, followed through 4 version(s)\n"
    )


def test_blame_of_an_unknown_policy_or_date(archive_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--archive", str(archive_root), "blame", "https://example.org/privacy"]) == 1
    assert "no policy for https://example.org/privacy" in capsys.readouterr().err
    assert main(["--archive", str(archive_root), "blame", f"{URL}@2019"]) == 1
    assert "has no version at or before 2019" in capsys.readouterr().err


def test_blame_api_indexes_versions(archive_root: Path) -> None:
    with Archive.open(archive_root) as archive:
        versions = archive.versions(archive.get_policy(URL).id)
        result = blame(archive, versions[-1])
    moved = next(p for p in result.paragraphs if p.text == MOVED_EDITED)
    assert result.versions[moved.introduced].timestamp == V0
    assert result.versions[moved.last_changed].timestamp == V2
    assert result.at_block(moved.block) == moved
    assert [s.version for s in moved.history] == [0, 2]


def test_a_split_paragraph_continues_the_one_it_came_from() -> None:
    first = "We keep your account data while your account is open and for one year after it is closed."
    second = "Logs are deleted after ninety days unless we need them to investigate abuse of the service."
    old = f"# Retention\n\n{first} {second}\n\nContact us at privacy@example.com for anything else.\n"
    new = f"# Retention\n\n{first}\n\n{second}\n\nContact us at privacy@example.com for anything else.\n"
    paras = {p.text: p for p in blame_texts([old, new])}
    assert (paras[first].introduced, paras[first].last_changed) == (0, 1)
    assert (paras[second].introduced, paras[second].last_changed) == (0, 1)
    assert [s.text for s in paras[second].history] == [f"{first} {second}", second]
    assert (paras["# Retention"].introduced, paras["# Retention"].last_changed) == (0, 0)
