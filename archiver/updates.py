"""One `update` of a portfolio: for each policy, find what its web archives gained (the same
change-point discovery as `fetch`, per archive, in one polite queue: the process-wide pacer), with
``live`` also today's page, then the changes found since the last reported run.

The command line and the app's Update All both run :func:`update_policies`; each policy's result
says its changes or why it could not be updated. A cancel stops the whole run (what was stored
stays, and the changes not yet reported are reported by the next run).
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field

from .client.endpoints import ArchiveEndpoint
from .client.session import Session
from .errors import ArchiverError, CancelledError
from .models import Policy, Progress
from .portfolio import Change, PolicyInfo, Portfolio
from .storage import Archive


@dataclass(frozen=True, slots=True)
class PolicyUpdate:
    """What one policy's update found: the changes since the last reported run, or an error."""

    info: PolicyInfo
    changes: tuple[Change, ...] = ()
    error: str = ""


@dataclass
class UpdateRun:
    """The policies' results as they come; ``done`` after the last one."""

    results: list[PolicyUpdate] = field(default_factory=list)
    done: bool = False

    @property
    def changed(self) -> list[PolicyUpdate]:
        return [r for r in self.results if r.changes]

    @property
    def errors(self) -> list[PolicyUpdate]:
        return [r for r in self.results if r.error]


def update_policies(
    arc: Archive,
    session: Session,
    endpoints: Sequence[ArchiveEndpoint] | None,
    policies: Sequence[Policy],
    run: UpdateRun,
    *,
    live: bool = False,
    kind: str | Mapping[str, str] = "auto",
    cancel: threading.Event | None = None,
) -> Generator[Progress, None, UpdateRun]:
    """Update each policy in turn; yields Progress (``done`` counts policies) and fills ``run``.

    ``endpoints`` None: each policy asks the archives its captures came from (the Wayback Machine
    for a policy that has none yet), so a policy fetched from a national library's pywb is updated
    from there; ``kind`` says how to list them (archiver.client.endpoints.ArchiveKind), one for all or
    per replay prefix ("auto" for a prefix it does not name)."""
    from .client.jobs import FetchJob, capture_live
    from .history.discovery import ChangeJob

    cancel = cancel or threading.Event()
    portfolio = Portfolio(arc)
    infos = {i.policy.id: i for i in portfolio.infos()}
    for n, policy in enumerate(policies):
        info = infos.get(policy.id) or next(i for i in portfolio.infos() if i.policy.id == policy.id)
        yield Progress(n, len(policies), f"{info.name}: looking for new captures")
        error = ""
        try:
            for endpoint in endpoints if endpoints is not None else _archives_of(arc, policy, kind):
                job = ChangeJob(FetchJob(arc, session, endpoint, policy.url, cancel=cancel))
                for step in job.run():
                    yield Progress(n, len(policies), f"{info.name}: {step.message}")
            if live:
                yield Progress(n, len(policies), f"{info.name}: today's page")
                capture_live(arc, session, policy.url, cancel=cancel)
        except CancelledError:
            raise
        except ArchiverError as exc:
            error = str(exc)
        changes = tuple(portfolio.new_changes(arc.policy_by_id(policy.id)))
        if not error:  # a policy that failed reports its changes next time too
            portfolio.mark_reported(policy)
        run.results.append(PolicyUpdate(info, changes, error))
    run.done = True
    yield Progress(len(policies), len(policies), "")
    return run


def _archives_of(arc: Archive, policy: Policy, kind: str | Mapping[str, str]) -> list[ArchiveEndpoint]:
    from .client.endpoints import DEFAULT_PREFIX, archive_endpoint

    prefixes = sorted({c.archive for c in arc.captures(policy.id) if c.archive}) or [DEFAULT_PREFIX]
    return [archive_endpoint(p, kind if isinstance(kind, str) else kind.get(p, "auto")) for p in prefixes]
