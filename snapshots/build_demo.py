"""Build the bundled demo archive (snapshots/demo) from real captures in tests/data/corpus.

Run from the repository root:  .venv/bin/python snapshots/build_demo.py
It starts from an empty folder each time, stores every Tinder and GitHub privacy-policy capture of the
corpus through the normal pipeline (raw bytes + extracted text), and records in each capture's
provenance the Open Terms Archive repository, path and commit it came from (tests/data/corpus/index.json).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archiver.models import Capture, Source  # noqa: E402
from archiver.pipeline import store_capture  # noqa: E402
from archiver.storage import Archive  # noqa: E402
from archiver.timestamps import now_iso  # noqa: E402

CORPUS = REPO / "tests" / "data" / "corpus"
TARGET = REPO / "snapshots" / "demo"
SLUGS = ("tinder-privacy", "github-privacy")


def main() -> int:
    if TARGET.exists():
        shutil.rmtree(TARGET)
    entries = [
        e for e in json.loads((CORPUS / "index.json").read_text(encoding="utf-8")) if e["slug"] in SLUGS
    ]
    with Archive.open(TARGET) as arc:
        for e in sorted(entries, key=lambda e: (e["slug"], e["timestamp"])):
            policy = arc.ensure_policy(e["url"], f"{e['service']} {e['document_type']}")
            body = (CORPUS / e["file"]).read_bytes()
            capture = Capture(
                id=0,
                policy_id=policy.id,
                source=Source.FILE,
                timestamp=e["timestamp"],
                original_url=e["url"],
                retrieved_at=now_iso(),
                content_type=e.get("mime") or "text/html",
                provenance=(
                    f"Open Terms Archive snapshot {e['source_repo']}:{e['source_path']} at commit "
                    f"{e['source_commit']} ({e['commit_subject']}); captured {e['capture_timestamp']}"
                ),
            )
            stored, _created, warning = store_capture(arc, policy, capture, body)
            print(
                f"{e['slug']} {e['timestamp']}: {stored.size} bytes {stored.sha256[:12] if stored.sha256 else ''}"
                + (f" ({warning})" if warning else "")
            )
        for policy in arc.policies():
            print(f"{policy.label}: {len(arc.versions(policy.id))} versions")
        problems = arc.verify()
        if problems:
            print("verify:", *problems, sep="\n  ")
            return 1
    shutil.rmtree(TARGET / "tmp", ignore_errors=True)
    # opening the demo in place creates these; they are not part of it
    (TARGET / ".gitignore").write_text("*-wal\n*-shm\ntmp/\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
