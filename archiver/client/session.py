"""The HTTP layer: requests plus our own pacing, retries and 429 handling.

Why not urllib3's Retry or the `wayback` library: every request, retry included, must go through the
one process-wide pacer, every wait must be cancellable, and a response carrying Memento-Datetime
is archived content (even a 429 or a 503) that must never be retried (docs/protocols.md §8).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

from .. import __version__
from ..errors import CancelledError, ErrorKind, NetworkError, UnreachableError, UsageError
from .cancel import SocketTracker, TrackingAdapter, watch
from .pacer import Pacer, default_pacer

log = logging.getLogger(__name__)

USER_AGENT = f"policydiff/{__version__} (+https://github.com/policydiff/policydiff; privacy-policy archiver)"
RETRY_STATUSES = frozenset({413, 421, 500, 502, 503, 504, *range(520, 600)})
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_RETRIES = 4
CLOCK_DRIFT_WARN = 120.0


class ServerError(NetworkError):
    """The server (an archive, or the site for a live capture) kept answering 5xx after every retry."""

    def __init__(self, url: str, status: int, attempts: int) -> None:
        self.status = status
        host = urlsplit(url).hostname or url
        super().__init__(
            f"{host} answered HTTP {status} {attempts} times; the server is having trouble, "
            "try again later (a fetch resumes where it stopped)",
            url,
        )


class ServerTimeoutError(NetworkError):
    """The archive took the request but sent no answer within the read timeout, every attempt.

    Not a lost network (the connection was made): a CDX caller asks for a smaller page instead.
    """

    def __init__(self, url: str, read_timeout: float, attempts: int) -> None:
        self.read_timeout = read_timeout
        host = urlsplit(url).hostname or url
        times = "once" if attempts == 1 else f"{attempts} times"
        super().__init__(
            f"{host} sent no answer within {read_timeout:g} s, {times}; the archive is overloaded "
            "or the request too big, try again later (a fetch resumes where it stopped)",
            url,
        )


def check_ca_bundle(path: str) -> None:
    """Refuse a certificate bundle that is missing or holds no certificate, before any request
    (requests would only say so at the first HTTPS request, in its own words)."""
    import ssl

    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(
            f"the certificate bundle {path} cannot be used ({detail}); choose a PEM file "
            "with the certificates to trust, or none to use the system's"
        ) from None


def retry_after_seconds(value: str | None, now_epoch: float | None = None) -> float | None:
    """Parse Retry-After: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import time

    return max(0.0, when.timestamp() - (now_epoch if now_epoch is not None else time.time()))


def is_memento(resp: requests.Response) -> bool:
    return "Memento-Datetime" in resp.headers


class _ManualRedirects(requests.Session):
    """requests reads (and decodes) a 3xx body to prepare the next hop even with allow_redirects=False;
    we follow redirects ourselves and keep redirect bodies raw as evidence, so it must not."""

    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return iter(())


class Session:
    """A requests session whose every request waits for the pacer and retries politely.

    ``trust_env`` stays on, so system proxies and REQUESTS_CA_BUNDLE are honoured; certificate
    checks are never switched off.
    """

    def __init__(
        self,
        pacer: Pacer | None = None,
        *,
        user_agent: str = USER_AGENT,
        retries: int = MAX_RETRIES,
        verify: str | bool = True,
    ) -> None:
        self.pacer = pacer or default_pacer()
        self.retries = retries
        self.tracker = SocketTracker()
        self.http: requests.Session = _ManualRedirects()
        adapter = TrackingAdapter(self.tracker)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers["User-Agent"] = user_agent
        if isinstance(verify, str):
            check_ca_bundle(verify)
        if verify is not True:
            self.http.verify = verify
        self._drift_checked: set[str] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def watch(self, cancel: threading.Event | None) -> contextlib.AbstractContextManager[None]:
        """Abort this session's connections as soon as ``cancel`` is set, while the block runs."""
        return watch(cancel, self.tracker)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        url: str,
        *,
        group: str,
        method: str = "GET",
        params: Mapping[str, str | int] | Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        stream: bool = False,
        read_timeout: float = READ_TIMEOUT,
        cancel: threading.Event | None = None,
        slow_retries: int | None = None,
        retries: int | None = None,
    ) -> requests.Response:
        """Send one request (following no redirects), retrying transient failures.

        Returns every response that is not a transient failure: a memento of any status, a 3xx,
        a 4xx. Raises NetworkError (retries exhausted), ServerError, ServerTimeoutError,
        RateLimitedError (third 429), ConnectionBlockedError or CancelledError.

        ``slow_retries`` caps the retries of a 504 or a read timeout for a caller that has a cheaper
        request to try instead (a smaller CDX page, docs/protocols.md §8); other failures keep ``retries``.
        ``retries`` replaces the session's for this request; 0 given here (a request that is only a
        courtesy) also gives up at a 429, once the pacer has noted it, instead of waiting to ask again.
        """
        limit = self.retries if retries is None else retries
        host = (urlsplit(url).hostname or "").lower()
        clock = self.pacer.clock
        attempt = 0
        slow = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            self.pacer.wait(host, group, cancel)
            try:
                with watch(cancel, self.tracker):
                    resp = self.http.request(
                        method,
                        url,
                        params=params,
                        headers=dict(headers or {}),
                        data=data,
                        stream=stream,
                        allow_redirects=False,
                        timeout=(CONNECT_TIMEOUT, read_timeout),
                        # a bundle given here must beat REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, which
                        # requests lets override the session's own setting; True leaves them in force
                        verify=None if self.http.verify is True else self.http.verify,
                    )
            except requests.exceptions.SSLError as exc:
                raise NetworkError(
                    f"TLS/certificate error talking to {host}: {exc}; if a proxy intercepts TLS, point "
                    "REQUESTS_CA_BUNDLE at its CA certificate",
                    url,
                    ErrorKind.CONNECTION,
                ) from None
            except requests.exceptions.InvalidURL as exc:
                raise NetworkError(f"cannot request {url}: {exc}", url) from None
            except UnicodeError:  # a host name the IDNA codec refuses (a label over 63 characters)
                raise NetworkError(f"cannot request {url}: its host name is not valid", url) from None
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                if cancel is not None and cancel.is_set():
                    raise CancelledError() from None
                # a body that stalls while being read comes as a ConnectionError wrapping urllib3's
                # read timeout: the server answered, so it is a timeout, not a refused connection
                timed_out = isinstance(exc, requests.exceptions.ReadTimeout) or bool(
                    exc.args and isinstance(exc.args[0], Urllib3ReadTimeout)
                )
                # a firewall block refuses or resets connections; a read timeout or a broken body
                # means the server answered, which no block does
                if isinstance(exc, requests.exceptions.ConnectionError) and not timed_out:
                    self.pacer.on_connection_failure(host, group)
                attempt += 1
                slow += timed_out
                if timed_out and (attempt > limit or _over(slow, slow_retries)):
                    raise ServerTimeoutError(url, read_timeout, attempt) from None
                offline = "" if timed_out else offline_reason(exc)
                if offline or attempt > limit:  # offline: retrying at once cannot help, say it now
                    raise UnreachableError(
                        url, host, offline or _short(exc), attempt, offline=bool(offline)
                    ) from None
                delay = self.pacer.backoff(attempt)
                log.info("%s: %s; retry %d in %.1f s", host, _short(exc), attempt, delay)
                clock.sleep(delay, cancel)
                continue
            self._check_drift(host, resp)
            if is_memento(resp):
                return resp
            if resp.status_code == 429:
                ra = retry_after_seconds(resp.headers.get("Retry-After"))
                resp.close()
                pause = self.pacer.on_429(host, group, ra)  # raises on the third 429 in 10 min
                log.warning("%s answered 429; pausing requests to it for %.0f s", host, pause)
                if retries == 0:  # this request is a courtesy: do not wait to ask again
                    raise ServerError(url, 429, 1)
                continue
            if resp.status_code in RETRY_STATUSES:
                attempt += 1
                slow += resp.status_code == 504
                resp.close()
                if attempt > limit or resp.status_code == 504 and _over(slow, slow_retries):
                    raise ServerError(url, resp.status_code, attempt)
                ra = retry_after_seconds(resp.headers.get("Retry-After")) or 0.0
                delay = max(self.pacer.backoff(attempt), min(ra, 300.0))
                log.info("%s answered %d; retry %d in %.1f s", host, resp.status_code, attempt, delay)
                clock.sleep(delay, cancel)
                continue
            return resp

    def _check_drift(self, host: str, resp: requests.Response) -> None:
        """Warn once per host when the local clock is more than two minutes off the server's."""
        date = resp.headers.get("Date")
        if not date:
            return
        with self._lock:
            if host in self._drift_checked:
                return
            self._drift_checked.add(host)
        try:
            server = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return
        if server.tzinfo is None:
            return
        import datetime as _dt

        drift = (_dt.datetime.now(_dt.UTC) - server).total_seconds()
        if abs(drift) > CLOCK_DRIFT_WARN:
            log.warning(
                "the local clock differs from %s's by %.0f s; all times are stored in UTC", host, drift
            )


_NO_ROUTE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})


def offline_reason(exc: BaseException) -> str:
    """Why ``exc`` means this machine cannot reach the host now, retry or not ("" otherwise): the
    name does not resolve (no DNS, or no such host) or there is no route to the network. A refused
    or reset connection is not one (a busy server, a rate-limit block: those are retried)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror | NameResolutionError):
            return "its name does not resolve"
        if isinstance(current, OSError) and current.errno in _NO_ROUTE:
            return "no route to the network"
        reason = getattr(current, "reason", None)
        nested = [*current.args, reason, current.__cause__, current.__context__]
        todo.extend(e for e in nested if isinstance(e, BaseException))
    return ""


def _over(count: int, limit: int | None) -> bool:
    return limit is not None and count > limit


def _short(exc: BaseException) -> str:
    """A one-line description of a requests exception (they nest urllib3 reprs)."""
    text = str(exc)
    for marker in (
        "Connection refused",
        "Connection reset",
        "Remote end closed",
        "timed out",
        "Name or service not known",
        "Temporary failure in name resolution",
        "IncompleteRead",
    ):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
