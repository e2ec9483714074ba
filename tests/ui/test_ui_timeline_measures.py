"""The timeline plots a chosen measure instead of the change size (ui/timeline.py, the "Plot:" choice
of ui/answers.py), driven with qtbot on real widgets offscreen on the demo archive's Tinder policy.

Expected reading times, worked out by hand from the words of each version's plain text and the 238
words a minute of archiver/analysis/measures.py (rounded to a tenth of a minute):

    v1, 2022-04-07: 4,908 words / 238 = 20.62 -> 20.6 minutes
    v3, 2024-04-16: 5,275 words / 238 = 22.16 -> 22.2 minutes
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QToolTip

from archiver.storage import Archive
from ui.mainwindow import MainWindow
from ui.settings import Settings
from ui.timeline import Axis, Point, TimelineWidget


def tinder_window(qtbot: Any, arc: Archive, settings: Path) -> MainWindow:
    """The window on the demo, the Tinder policy shown, its versions measured and their changes."""
    win = MainWindow(arc, Settings(settings))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        win.show()
    model = win.policy_model
    tinder = next(i for i in range(model.rowCount()) if "Tinder" in model.policy(i).label)
    # the first policy's measures may arrive first: wait for the seven versions of Tinder's
    with qtbot.waitSignal(win.answers.measured, timeout=30_000, check_params_cb=lambda n: n == 7):
        win.policy_view.setCurrentIndex(model.index(tinder))
    assert win.version_model.rowCount() == 7
    qtbot.waitUntil(lambda: all(p.change is not None for p in win.timeline.points()[1:]), timeout=30_000)
    return win


def test_the_timeline_plots_the_chosen_measure_and_clicks_still_compare(
    qtbot: Any, demo: Archive, tmp_path: Path
) -> None:
    win = tinder_window(qtbot, demo, tmp_path / "s.ini")
    choice, timeline = win.answers.timeline_choice, win.timeline
    assert choice.currentText() == "Words changed"  # the default: the change size, as before
    assert timeline.axis() is None
    assert [choice.itemText(i) for i in range(choice.count())] == [
        "Words changed",
        "Words",
        "Sentences",
        "Reading time (minutes)",
        "Readability (higher reads easier)",
        "Third parties named",
    ]
    choice.setCurrentText("Reading time (minutes)")
    axis = timeline.axis()
    assert axis is not None and axis.title == "Reading time (minutes)"
    points = timeline.points()
    assert (points[0].value, points[2].value) == (20.6, 22.2)
    assert all(p.value is not None for p in points)
    # one choice: the dock plots the same measure, from the same measuring
    assert win.answers.measure_choice.currentData() == "reading_minutes"
    assert win.answers.plot.values()[0] == 20.6
    # a higher value is drawn higher; the points are where the versions are in time
    assert timeline.point_position(2).y() < timeline.point_position(0).y()
    assert timeline.point_position(0).x() < timeline.point_position(2).x()
    # the tooltip gives the value; a click on the point selects that version
    at = timeline.point_position(2).toPoint()
    qtbot.mouseMove(timeline, at)
    qtbot.waitUntil(lambda: "Reading time (minutes): 22.2" in QToolTip.text(), timeout=5_000)
    assert "Version 3, 2024-04-16" in QToolTip.text() and "232 words changed" in QToolTip.text()
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=5_000)
    assert win.version_view.currentIndex().row() != 2
    with qtbot.waitSignal(win.versions.versionChosen, timeout=5_000) as chosen:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=at)
    assert chosen.args[0].index == 2 and win.version_view.currentIndex().row() == 2
    # back to the change size: the dock keeps its measure
    choice.setCurrentText("Words changed")
    assert timeline.axis() is None and win.answers.measure_choice.currentData() == "reading_minutes"
    win.close()


def test_the_dock_and_the_timeline_share_one_measure_choice(
    qtbot: Any, demo: Archive, tmp_path: Path
) -> None:
    win = tinder_window(qtbot, demo, tmp_path / "s.ini")
    dock = win.answers.measure_choice
    dock.setCurrentIndex(dock.findData("third_parties"))
    assert win.answers.timeline_choice.currentText() == "Third parties named"
    axis = win.timeline.axis()
    assert axis is not None and axis.title == "Third parties named"
    assert [p.value for p in win.timeline.points()] == [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 5.0]
    win.close()


def test_the_choice_survives_a_restart(qtbot: Any, demo: Archive, tmp_path: Path) -> None:
    win = tinder_window(qtbot, demo, tmp_path / "s.ini")
    win.answers.timeline_choice.setCurrentText("Reading time (minutes)")
    win.close()
    assert Settings(tmp_path / "s.ini").timeline_plot == "reading_minutes"
    again = tinder_window(qtbot, demo, tmp_path / "s.ini")
    assert again.answers.timeline_choice.currentText() == "Reading time (minutes)"
    assert again.answers.measure_choice.currentData() == "reading_minutes"
    points = again.timeline.points()
    assert (points[0].value, points[2].value) == (20.6, 22.2)
    again.close()
    fresh = MainWindow(demo, Settings(tmp_path / "other.ini"))
    qtbot.addWidget(fresh)
    assert fresh.answers.timeline_choice.currentText() == "Words changed" and fresh.timeline.axis() is None


def test_versions_without_a_value_are_gaps_not_zeros(qtbot: Any) -> None:
    timeline = TimelineWidget()
    qtbot.addWidget(timeline)
    timeline.resize(500, 140)
    timeline.show()
    stamps = ["20200101000000", "20210101000000", "20220101000000", "20230101000000"]
    timeline.set_points([Point(i, ts, 10 * i or None) for i, ts in enumerate(stamps)])
    axis = Axis("Readability (higher reads easier)", decimals=1, missing="no score for this language")
    timeline.set_measure(axis, {0: 40.0, 2: 50.0})  # version 1 and 3 not measured yet
    rect = timeline._plot_rect()
    low, high = timeline.point_position(0).y(), timeline.point_position(2).y()
    assert high < low and rect.top() < high and low < rect.bottom()  # inside the plot, not on its edges
    assert timeline.index_at(timeline.point_position(0)) == 0
    assert timeline.index_at(timeline.point_position(2)) == 2
    assert timeline.index_at(timeline.point_position(1)) == -1  # no point drawn at zero for it
    timeline.set_value(1, None)  # measured, without a value: still a gap
    timeline.set_value(3, 45.0)
    assert timeline.index_at(timeline.point_position(1)) == -1
    assert timeline.index_at(timeline.point_position(3)) == 3
    assert timeline.point_position(3).y() == pytest.approx((low + high) / 2)
    assert [p.value for p in timeline.points()] == [40.0, None, 50.0, 45.0]
    assert not timeline.grab().toImage().isNull()
    timeline.set_measure(None, {})  # the change size again
    assert timeline.axis() is None and timeline.index_at(timeline.point_position(1)) == 1
    assert timeline.point_position(3).y() == pytest.approx(timeline._plot_rect().top())  # the largest
    timeline.set_measure(axis, {i: None for i in range(4)})  # a language without a score
    assert all(timeline.index_at(timeline.point_position(i)) == -1 for i in range(4))
    assert not timeline.grab().toImage().isNull()
    assert timeline.index_at(QPointF(-50, -50)) == -1
