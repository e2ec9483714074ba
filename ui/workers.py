"""The one way the UI runs background work (Picard's ``run_task`` / ``to_main``, in PySide6).

A job is a plain function ``job(cancel, report) -> result``: it runs on ``QThreadPool.globalInstance()``,
checks ``cancel`` (a ``threading.Event``) between steps and calls ``report(Progress(...))`` as it goes.
Its progress, result and error arrive on the GUI thread through :class:`TaskSignals` (queued
connections, since the signals object lives in the GUI thread). The task starts on the next turn of
the event loop, so connecting to ``task.signals`` right after ``run_task`` returns never misses an
emission; tests wait with ``qtbot.waitSignal(task.signals.finished)``.

:class:`Latest` is the one place where "the latest request wins" is decided: the versions of the
policy just chosen, the diff of the pair just picked, the archive just asked for. Starting a request
cancels the one before, and whatever a superseded request delivers afterwards is dropped.

Once a task has ended and the GUI thread has seen its ``done``, every connection to its signals is
cut: a slot that refers to the task (``when_ended``, a progress panel, a closure) would otherwise keep
it, its job (with the texts it read) and its result alive forever, in a cycle through Qt that Python's
garbage collector cannot see.
"""

from __future__ import annotations

import logging
import threading
import warnings
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

log = logging.getLogger(__name__)

Report = Callable[[Any], None]
Job = Callable[[threading.Event, Report], Any]

_running: set[Task] = set()  # keeps Python wrappers alive until the GUI thread has seen the end


class TaskSignals(QObject):
    """Signals of one task, emitted on the GUI thread.

    Signals:
        progress(object): what the job passed to ``report`` (usually an ``archiver.models.Progress``).
        finished(object): the job's return value.
        failed(object): the exception the job raised (``CancelledError`` when cancelled).
        done(): after ``finished`` or ``failed``, whichever came; then every connection is cut.

    The worker emits only ``_relay`` (queued to the GUI thread, in order); ``_deliver`` emits the
    public signals there, so every slot of ``done`` has run when the connections are cut.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    done = Signal()
    _relay = Signal(str, object)

    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = weakref.ref(task)  # a strong one would be a cycle through Qt (see above)
        self._relay.connect(self._deliver)

    def _deliver(self, kind: str, value: object) -> None:  # GUI thread
        if kind == "progress":
            self.progress.emit(value)
        elif kind == "finished":
            self.finished.emit(value)
        elif kind == "failed":
            self.failed.emit(value)
        else:
            self.done.emit()
            task = self._task()
            if task is not None:
                _running.discard(task)
            with warnings.catch_warnings():  # PySide warns of a signal without connections
                warnings.simplefilter("ignore", RuntimeWarning)
                for signal in (self.progress, self.finished, self.failed, self.done, self._relay):
                    try:
                        signal.disconnect()
                    except (RuntimeError, TypeError):
                        pass


class Task:
    """A job on the thread pool with a cooperative cancel flag.

    Not a QRunnable: the pool is handed the bound ``run``. A QRunnable given to ``QThreadPool.start``
    stays referenced by its Python wrapper for good, and so did every task, its job and its result.
    """

    def __init__(self, job: Job, name: str = "") -> None:
        self.job: Job | None = job
        self.name = name or getattr(job, "__name__", "task")
        self.cancel_event = threading.Event()
        self.ended = threading.Event()  # set by the worker just before it emits ``done``
        self.signals = TaskSignals(self)
        self.result: Any = None
        self.error: BaseException | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def run(self) -> None:  # worker thread
        relay = self.signals._relay.emit
        try:
            if self.cancel_event.is_set() or self.job is None:  # cancelled before it started
                from archiver.errors import CancelledError

                raise CancelledError()
            result = self.job(self.cancel_event, partial(relay, "progress"))
        except BaseException as exc:  # noqa: BLE001 - every error goes to the GUI thread
            self.error = exc
            relay("failed", exc)
        else:
            self.result = result
            relay("finished", result)
        self.job = None  # what the job holds (an archive, texts) is not kept with the task
        self.ended.set()
        relay("done", None)


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
    target = pool or _global_pool()
    QTimer.singleShot(0, lambda: target.start(task.run))
    return task


def _global_pool() -> QThreadPool:
    """The global pool, its threads kept for good: a thread that expired after 30 s idle (Qt's default)
    was replaced by a new one at the next job, and each new thread opened (and kept) its own SQLite
    connection to the archive (``archiver.storage`` keeps one a thread), with its page cache."""
    pool = QThreadPool.globalInstance()
    if pool.expiryTimeout() >= 0:
        pool.setExpiryTimeout(-1)
    return pool


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


class Latest:
    """Requests of one kind of which only the latest counts.

    ``run`` cancels the request before (unless ``cancel_previous`` is false: an archive being opened
    is let finish, then closed) and starts the new one; progress, results and errors of a superseded
    or dropped request never reach the callbacks (a result goes to ``on_superseded`` instead, for
    what must be released). ``generation`` changes with every request and ``drop``, so a callback
    scheduled for later can check that its request is still the current one.
    """

    def __init__(self, context: QObject | None = None) -> None:
        self._context = context
        self.generation = 0
        self.task: Task | None = None

    def run(
        self,
        job: Job,
        *,
        name: str = "",
        on_finished: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_superseded: Callable[[Any], None] | None = None,
        cancel_previous: bool = True,
    ) -> Task:
        self.drop(cancel=cancel_previous)
        generation = self.generation

        def finished(result: Any) -> None:
            if generation == self.generation:
                self.task = None
                if on_finished is not None:
                    on_finished(result)
            elif on_superseded is not None:
                on_superseded(result)

        def failed(exc: BaseException) -> None:
            if generation == self.generation:
                self.task = None
                if on_failed is not None:
                    on_failed(exc)
            else:
                log.info("superseded %s failed: %r", name, exc)

        def progress(item: Any) -> None:
            if generation == self.generation and on_progress is not None:
                on_progress(item)

        self.task = run_task(
            job,
            name=name,
            on_finished=finished,
            on_failed=failed,
            on_progress=progress if on_progress is not None else None,
            context=self._context,
        )
        return self.task

    def drop(self, cancel: bool = True) -> None:
        """Forget the current request: what it delivers from now on is dropped (and it is cancelled)."""
        self.generation += 1
        if self.task is not None and cancel:
            self.task.cancel()
        self.task = None

    def is_current(self, generation: int) -> bool:
        return generation == self.generation


def running_tasks() -> list[Task]:
    return list(_running)


def cancel_all(wait_ms: int = 5000) -> bool:
    """Cancel every running or pending task and wait for the pool to drain (closing the window)."""
    for task in list(_running):
        task.cancel()
    return _global_pool().waitForDone(wait_ms)
