"""ui.workers: results, progress and errors arrive on the GUI thread; cancel is cooperative."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QThread

from archiver.errors import CancelledError
from archiver.models import Progress
from ui.workers import Task, cancel_all, run_task


def test_result_and_progress_arrive_on_the_gui_thread(qtbot: Any) -> None:
    gui = QThread.currentThread()
    seen: list[tuple[str, bool]] = []

    def job(cancel: threading.Event, report: Any) -> int:
        assert QThread.currentThread() is not gui
        for i in range(3):
            report(Progress(i + 1, 3, f"step {i}"))
        return 42

    task = run_task(
        job,
        on_progress=lambda p: seen.append(("progress", QThread.currentThread() is gui)),
        on_finished=lambda r: seen.append((f"finished {r}", QThread.currentThread() is gui)),
    )
    with qtbot.waitSignal(task.signals.done, timeout=10_000):
        pass
    assert seen == [("progress", True)] * 3 + [("finished 42", True)]
    assert task.result == 42


def test_errors_are_delivered_not_raised(qtbot: Any) -> None:
    def job(cancel: threading.Event, report: Any) -> None:
        raise ValueError("boom")

    task = run_task(job)
    with qtbot.waitSignal(task.signals.failed, timeout=10_000) as blocker:
        pass
    assert isinstance(blocker.args[0], ValueError)


def test_cancel_is_cooperative(qtbot: Any) -> None:
    started = threading.Event()

    def job(cancel: threading.Event, report: Any) -> None:
        started.set()
        if not cancel.wait(10):
            raise AssertionError("never cancelled")
        raise CancelledError()

    task: Task = run_task(job)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    with qtbot.waitSignal(task.signals.failed, timeout=10_000) as blocker:
        assert cancel_all(wait_ms=10_000)
    assert isinstance(blocker.args[0], CancelledError)
    assert task.cancelled


def test_when_ended_waits_for_every_task_even_one_that_already_ended(qtbot: Any) -> None:
    from ui.workers import when_ended

    gui = QThread.currentThread()
    gate = threading.Event()
    quick = run_task(lambda cancel, report: 1)
    with qtbot.waitSignal(quick.signals.done, timeout=10_000):
        pass
    slow = run_task(lambda cancel, report: gate.wait(10))
    calls: list[bool] = []
    when_ended([quick, slow], lambda: calls.append(QThread.currentThread() is gui))
    assert calls == []  # the slow one is still running
    gate.set()
    qtbot.waitUntil(lambda: calls == [True], timeout=10_000)
    assert slow.ended.is_set()
    when_ended([quick, slow], lambda: calls.append(True))  # all ended: at once
    assert calls == [True, True]
    when_ended([], lambda: calls.append(True))
    assert len(calls) == 3


def test_a_finished_task_and_its_result_are_freed(qtbot: Any) -> None:
    """Nothing keeps a task once its end was delivered: not the pool, not a slot that refers to it
    (a browsing session runs thousands; each kept its job, its result and two threading.Events)."""
    import gc
    import weakref

    from ui.workers import when_ended

    class Result:
        pass

    refs = []
    for _ in range(5):
        task = run_task(lambda cancel, report: Result(), on_finished=lambda r: None)
        when_ended([task], lambda: None)  # a slot that holds the task
        with qtbot.waitSignal(task.signals.done, timeout=10_000):
            pass
        refs.append((weakref.ref(task), weakref.ref(task.result)))
        del task
    qtbot.wait(50)  # the last deliveries
    gc.collect()
    assert [(t(), r()) for t, r in refs] == [(None, None)] * 5


def test_jobs_reuse_their_threads_archive_connections(qtbot: Any, tmp_path: Any) -> None:
    """A pool thread gets a new Python thread state for each job: connections kept in a
    threading.local were opened anew (and kept) by every job that read the archive."""
    import gc
    import sqlite3

    from PySide6.QtCore import QThreadPool

    from archiver.storage import Archive

    def count() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, sqlite3.Connection))

    before = count()  # other tests' archives may still be open
    arc = Archive.open(tmp_path / "arc")
    try:
        for _ in range(12):
            task = run_task(lambda cancel, report: arc.policies())
            with qtbot.waitSignal(task.signals.done, timeout=10_000):
                pass
        opened = count() - before
        assert opened <= QThreadPool.globalInstance().maxThreadCount() + 1  # + the opening thread's
    finally:
        arc.close()
