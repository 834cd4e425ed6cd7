"""Run every benchmark of the foundation and write their JSON under benchmarks/results/.

PostgreSQL figures use a scratch database on the local server (dropped and recreated).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PG = os.environ.get("CIVICDESK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/civicdesk_bench")


def run(module: str, *args: str) -> None:
    print(f"== {module} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *args], cwd=ROOT, check=True)


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    run("bench_intake", "--pg", PG, "--out", str(RESULTS / "intake.json"))
    run("bench_import", "--pg", PG, "--out", str(RESULTS / "import.json"))
    run("bench_demo", "--out", str(RESULTS / "demo.json"))
    run("bench_sweep", "--pg", PG, "--out", str(RESULTS / "sweep.json"))
    run("bench_repeats", "--pg", PG, "--out", str(RESULTS / "repeats.json"))
    run("repeats_real_data", "--out", str(RESULTS / "repeats_real.json"))
    run("bench_locate", "--out", str(RESULTS / "locate.json"))
    run("bench_triage", "--out", str(RESULTS / "triage.json"))
    run("bench_portal", "--pg", PG, "--out", str(RESULTS / "portal.json"))
    run("bench_drain", "--pg", PG, "--out", str(RESULTS / "drain.json"))
    run("bench_portal_e2e", "--pg", PG, "--out", str(RESULTS / "portal_e2e.json"))
    run("bench_assessment", "--out", str(RESULTS / "assessment.json"))


if __name__ == "__main__":
    main()
