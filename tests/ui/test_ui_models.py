"""Every Qt model of the main window passes pytest-qt's qtmodeltester, and answers ObjectRole."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from archiver.models import Capture, Extraction, Source
from archiver.portfolio import Portfolio
from archiver.storage import Archive, text_sha256
from ui.models import CaptureTableModel, ObjectRole, PolicyListModel, VersionTableModel

URL = "https://example.com/privacy"


@pytest.fixture
def arc(tmp_path: Path) -> Archive:
    archive = Archive.open(tmp_path / "archive")
    policy = archive.ensure_policy(URL, "Example")
    archive.ensure_policy("https://example.org/terms")
    texts = [
        "# Privacy\n\nWe collect your email.\n",
        "# Privacy\n\nWe collect your email.\n",
        "# Privacy\n\nWe collect your email and phone number.\n",
    ]
    for i, text in enumerate(texts):
        capture = Capture(
            id=0,
            policy_id=policy.id,
            source=Source.WAYBACK,
            timestamp=f"2020010{i + 1}000000",
            original_url=URL,
            archive="https://web.archive.org/web/",
            memento_url=f"https://web.archive.org/web/2020010{i + 1}000000id_/{URL}",
            http_status=200,
            headers=(("Content-Type", "text/html"),),
            content_type="text/html",
        )
        extraction = Extraction(
            text=text, text_sha256=text_sha256(text), extractor_version="t", words=len(text.split())
        )
        archive.add_capture(policy, capture, f"<p>{text}</p>".encode(), extraction)
    return archive


def test_policy_list_model(qtmodeltester: Any, arc: Archive) -> None:
    model = PolicyListModel()
    model.set_policies(Portfolio(arc).infos())
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert {model.data(model.index(i), ObjectRole).url for i in range(2)} == {
        URL,
        "https://example.org/terms",
    }
    assert model.row_of(model.policy(1).id) == 1
    # an IDN policy without a label reads as typed, not as xn--/%XX
    arc.ensure_policy("https://bücher.de/datenschutz-ü")
    model.set_policies(Portfolio(arc).infos())
    shown = [str(model.data(model.index(i))) for i in range(model.rowCount())]
    assert any(s.startswith("bücher.de/datenschutz-ü\n") for s in shown), shown


def test_version_table_model(qtmodeltester: Any, arc: Archive) -> None:
    model = VersionTableModel()
    policy = arc.get_policy(URL)
    model.set_versions(arc.versions(policy.id))
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    second = model.data(model.index(1, 0), ObjectRole)
    assert len(second.captures) == 1 and second.previous_capture.timestamp == "20200102000000"
    assert model.data(model.index(1, 5)) == "2020-01-02 00:00 → 2020-01-03 00:00"
    assert model.data(model.index(0, 2)) == "2"
    assert model.data(model.index(1, VersionTableModel.COL_CHANGE)) == "…"
    model.set_change(1, 3)
    assert model.data(model.index(1, VersionTableModel.COL_CHANGE)) == "3 words"
    qtmodeltester.check(model)
    # the Captures cell tells which URL (or URL variants) the version was captured under
    tip = Qt.ItemDataRole.ToolTipRole
    assert model.data(model.index(0, 2), tip) == f"Captured as {URL}"
    first = model.version(0)
    variant = dataclasses.replace(first.captures[1], original_url="http://www.example.com/privacy")
    model.set_versions([dataclasses.replace(first, captures=(first.captures[0], variant))])
    assert model.data(model.index(0, 2), tip) == (
        f"Captured under 2 URL variants:\n{URL}\nhttp://www.example.com/privacy"
    )


def test_capture_table_model(qtmodeltester: Any, arc: Archive) -> None:
    model = CaptureTableModel()
    version = arc.versions(arc.get_policy(URL).id)[0]
    model.set_captures(version.captures)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    capture = model.data(model.index(0, 0), ObjectRole)
    assert capture.sha256 and model.data(model.index(0, 4)) == capture.sha256[:16]
    assert model.data(model.index(0, 2)) == "200"
    model.set_captures([])
    qtmodeltester.check(model)


def test_fetch_settings_saved_by_an_earlier_version_are_still_read(tmp_path: Path) -> None:
    from ui.settings import Settings, _key

    settings = Settings(tmp_path / "s.ini")
    url = "https://example.com/privacy"
    settings.q.setValue(f"fetch/last/{_key(url)}", ["http://127.0.0.1:8080/coll/", "pywb", "2020", ""])
    assert settings.last_fetch(url) == ("http://127.0.0.1:8080/coll/", "pywb", "2020", None, False, url)
    settings.remember_fetch(
        "http://www.example.com/privacy", "https://web.archive.org/web/", "ia", None, None, True
    )
    # filed under the policy now: any variant of the URL finds it, with the URL that was asked for
    assert settings.last_fetch(url) == (
        "https://web.archive.org/web/", "ia", None, None, True, "http://www.example.com/privacy"
    )  # fmt: skip
