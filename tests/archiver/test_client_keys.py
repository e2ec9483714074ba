"""The Internet Archive keys Save Page Now uses: the environment, then the system keychain (a real
GNOME Keyring on a private D-Bus session, see tests/keychain_support.py), and the terminal prompt
(``policydiff keys --set`` run in a pseudo-terminal; ``capture --save-page-now`` asks through the
same function)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from archiver.cli import main
from archiver.client import jobs
from archiver.client import pacer as pacer_module
from archiver.client.iakeys import (
    FROM_ENVIRONMENT,
    FROM_KEYCHAIN,
    KEYCHAIN_ENTRY,
    KEYCHAIN_SERVICE,
    IAKeys,
    find_keys,
    forget_keys,
    remember_keys,
)
from archiver.client.live import save_page_now
from archiver.client.pacer import ManualClock, Pacer
from archiver.errors import KeychainError

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Secret-9f3b2c71"


def test_keys_are_kept_in_the_keychain_encrypted_and_can_be_forgotten(
    keychain: dict[str, str], tmp_path: Path
) -> None:
    assert find_keys() == (None, "")
    remember_keys(IAKeys(" AKEY1 ", SECRET))
    assert find_keys() == (IAKeys("AKEY1", SECRET), FROM_KEYCHAIN)
    # stored by the keychain, not in a file of ours: GNOME Keyring encrypts its file on disk
    files = [p for p in (tmp_path / "keychain").rglob("*") if p.is_file()]
    assert any(p.suffix == ".keyring" for p in files)
    assert not any(SECRET.encode() in p.read_bytes() for p in files)
    import keyring

    assert json.loads(keyring.get_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY) or "")["access"] == "AKEY1"
    assert forget_keys() is True
    assert find_keys() == (None, "")
    assert forget_keys() is False


def test_the_environment_comes_before_the_keychain(
    keychain: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    remember_keys(IAKeys("STORED", SECRET))
    monkeypatch.setenv("IA_ACCESS_KEY", "ENVKEY")
    monkeypatch.setenv("IA_SECRET_KEY", "envsecret")
    assert find_keys() == (IAKeys("ENVKEY", "envsecret"), FROM_ENVIRONMENT)


def test_an_entry_that_is_not_ours_is_ignored(keychain: dict[str, str]) -> None:
    import keyring

    keyring.set_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY, "not json")
    assert find_keys() == (
        None,
        "the keychain entry 'Internet Archive S3 keys' of 'policydiff' is not in policydiff's form",
    )
    with pytest.raises(KeychainError, match="both the access key and the secret key"):
        remember_keys(IAKeys("AKEY", " "))


def test_without_a_keychain_reading_finds_none_and_storing_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the test session's default: keyring's "fail" backend, what a machine without a keychain has
    keys, why = find_keys()
    assert keys is None and why.startswith("no system keychain is available here")
    with pytest.raises(KeychainError, match="no system keychain is available here .* set IA_ACCESS_KEY"):
        remember_keys(IAKeys("AKEY", SECRET))
    assert main(["keys"]) == 2
    assert "no system keychain is available here" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("AKEY\n"))  # not a terminal: no prompt
    assert main(["keys", "--set"]) == 2
    assert "policydiff keys --set asks for the keys: run it at a terminal" in capsys.readouterr().err
    url = "https://example.com/privacy"
    assert main(["--archive", "unused", "capture", url, "--save-page-now"]) == 2
    err = capsys.readouterr().err
    assert (
        "--save-page-now needs Internet Archive S3 keys" in err
        and ", and no system keychain is available here" in err
    )


def run_at_terminal(argv: list[str], answers: list[tuple[str, str]], env: dict[str, str]) -> tuple[int, str]:
    """Run ``python -m archiver ARGV`` on a pseudo-terminal, typing each answer after its prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        try:
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "archiver", *argv], env)
        finally:
            os._exit(127)  # exec failed: never go on running the tests in the child
    out = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        if pending and pending[0][0].encode() in out.rsplit(b"\n", 1)[-1]:
            os.write(fd, pending.pop(0)[1].encode() + b"\n")
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_keys_set_asks_at_the_terminal_without_echoing_the_secret(keychain: dict[str, str]) -> None:
    env = {**os.environ, **keychain, "PYTHONPATH": str(ROOT)}
    code, out = run_at_terminal(["keys", "--set"], [("Access key:", "AKEY2"), ("Secret key:", SECRET)], env)
    assert code == 0, out
    assert "Stored in the system keychain." in out and SECRET not in out
    assert find_keys() == (IAKeys("AKEY2", SECRET), FROM_KEYCHAIN)
    shown = subprocess.run(
        [sys.executable, "-m", "archiver", "keys"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert shown.returncode == 0
    assert "from the system keychain: access key AKEY…" in shown.stdout and SECRET not in shown.stdout
    forgot = subprocess.run(
        [sys.executable, "-m", "archiver", "keys", "--forget"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert forgot.returncode == 0 and forgot.stdout.strip() == "Removed the keys from the system keychain."
    assert find_keys() == (None, "")


def test_capture_with_save_page_now_uses_the_keychain(
    keychain: dict[str, str],
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = httpserver.url_for("/privacy")
    httpserver.expect_request("/privacy").respond_with_data(
        "<p>Today's policy.</p>", content_type="text/html"
    )
    httpserver.expect_request("/save/status/user").respond_with_json({"available": 3})
    httpserver.expect_request("/save", method="POST").respond_with_json({"job_id": "j9"})
    httpserver.expect_request("/save/status/j9").respond_with_json(
        {"status": "success", "job_id": "j9", "timestamp": "20260101000010", "original_url": url}
    )
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    monkeypatch.setattr(
        jobs, "save_page_now", partial(save_page_now, base=httpserver.url_for("").rstrip("/"))
    )
    remember_keys(IAKeys("AKEY3", SECRET))
    assert main(["--archive", str(tmp_path / "a"), "capture", url, "--save-page-now", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["save_page_now"]["job_id"] == "j9"
    auth = {r.headers.get("Authorization") for r, _ in httpserver.log if r.path.startswith("/save")}
    assert auth == {f"LOW AKEY3:{SECRET}"}
