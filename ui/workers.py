"""The one way the UI runs background work (Picard's ``run_task`` / ``to_main``, in PySide6).

A job is a plain function ``job(cancel, report) -> result``: it runs on ``QThreadPool.globalInstance()``,
checks ``cancel`` (a ``threading.Event``) between steps and calls ``report(Progress(...))`` as it goes.
Its progress, result and error arrive on the GUI thread through :class:`TaskSignals` (queued
connections, since the signals object lives in the GUI thread). The task starts on the next turn of
the event loop, so connecting to ``task.signals`` right after ``run_task`` returns never misses an
emission; tests wait with ``qtbot.waitSignal(task.signals.finished)``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

log = logging.getLogger(__name__)

Report = Callable[[Any], None]
Job = Callable[[threading.Event, Report], Any]

_running: set[Task] = set()  # keeps Python wrappers alive until the GUI thread has seen the end


class TaskSignals(QObject):
    """Signals of one task, emitted from the worker and delivered on the GUI thread.

    Signals:
        progress(object): what the job passed to ``report`` (usually an ``archiver.models.Progress``).
        finished(object): the job's return value.
        failed(object): the exception the job raised (``CancelledError`` when cancelled).
        done(): after ``finished`` or ``failed``, whichever came.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    done = Signal()


class Task(QRunnable):
    """A job on the thread pool with a cooperative cancel flag."""

    def __init__(self, job: Job, name: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns it (``_running``), not the pool
        self.job = job
        self.name = name or getattr(job, "__name__", "task")
        self.cancel_event = threading.Event()
        self.ended = threading.Event()  # set by the worker just before it emits ``done``
        self.signals = TaskSignals()
        self.signals.done.connect(self._forget)
        self.result: Any = None
        self.error: BaseException | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def run(self) -> None:  # worker thread
        try:
            if self.cancel_event.is_set():  # cancelled before it started (the window closed)
                from archiver.errors import CancelledError

                raise CancelledError()
            result = self.job(self.cancel_event, self.signals.progress.emit)
        except BaseException as exc:  # noqa: BLE001 - every error goes to the GUI thread
            self.error = exc
            self.signals.failed.emit(exc)
        else:
            self.result = result
            self.signals.finished.emit(result)
        self.ended.set()
        self.signals.done.emit()

    def _forget(self) -> None:  # GUI thread
        _running.discard(self)


def run_task(
    job: Job,
    *,
    name: str = "",
    on_finished: Callable[[Any], None] | None = None,
    on_failed: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[Any], None] | None = None,
    pool: QThreadPool | None = None,
    context: QObject | None = None,
) -> Task:
    """Start ``job`` on the global thread pool; callbacks run on the GUI thread.

    With ``context`` (usually the window that asked), callbacks are skipped once that object is
    deleted, so a late result never reaches a destroyed widget.
    """
    task = Task(job, name)
    for signal, callback in (
        (task.signals.progress, on_progress),
        (task.signals.finished, on_finished),
        (task.signals.failed, on_failed),
    ):
        if callback is not None:
            signal.connect(callback if context is None else _guarded(callback, context))
    _running.add(task)
    # Start on the next turn of the event loop, so whatever the caller connects to ``task.signals``
    # right after this returns is connected before the worker can emit.
    target = pool or QThreadPool.globalInstance()
    QTimer.singleShot(0, lambda: target.start(task))
    return task


def _guarded(callback: Callable[[Any], None], context: QObject) -> Callable[[Any], None]:
    def call(value: Any) -> None:
        if shiboken6.isValid(context):
            callback(value)

    return call


def when_ended(tasks: list[Task], callback: Callable[[], None]) -> None:
    """Call ``callback`` on the GUI thread once every one of ``tasks`` has ended (at once if they have)."""
    pending: set[Task | None] = set(tasks)
    called = False

    def ended(task: Task | None) -> None:
        nonlocal called
        pending.discard(task)
        if not pending and not called:
            called = True
            callback()

    for task in tasks:
        task.signals.done.connect(partial(ended, task))
    for task in tasks:  # connected first: one that ends meanwhile is seen here or by its signal
        if task.ended.is_set():
            pending.discard(task)
    ended(None)


def running_tasks() -> list[Task]:
    return list(_running)


def cancel_all(wait_ms: int = 5000) -> bool:
    """Cancel every running or pending task and wait for the pool to drain (closing the window)."""
    for task in list(_running):
        task.cancel()
    return QThreadPool.globalInstance().waitForDone(wait_ms)
