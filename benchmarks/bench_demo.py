"""Time of ``make demo`` from a fresh clone until the staff web answers.

Clones the repository (HEAD) into a temporary folder, runs ``make demo`` there (which creates
its own virtual environment, installs, migrates, loads the configuration, generates the history
and serves), polls ``/login`` until it answers, and reports the seconds to each milestone.

    python benchmarks/bench_demo.py [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.common import ROOT, emit, free_port, machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="civicdesk-demo-"))
    clone = tmp / "civicdesk"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "CIVICDESK_"))}
    env["CIVICDESK_PORT"] = str(port)
    log = (tmp / "demo.log").open("w")
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["make", "demo"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    served = None
    try:
        while proc.poll() is None and time.perf_counter() - start < 1200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1) as r:
                    if r.status == 200:
                        served = time.perf_counter() - start
                        break
            except OSError:
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    text = (tmp / "demo.log").read_text(errors="replace")
    result = {
        "benchmark": "demo_from_fresh_clone",
        "machine": machine(),
        "seconds_until_serving": round(served, 1) if served else None,
        "log_tail": text.splitlines()[-25:],
    }
    emit(result, args.out)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    if served is None:
        raise SystemExit("the demo did not start serving")


if __name__ == "__main__":
    main()
