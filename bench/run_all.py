"""Run every bench script, collect their metric lines into var/bench/report.json, print a Markdown table.

`make bench` calls this. A script is any runnable `bench/*.py` (it has a `__main__` guard),
except this runner and the stub servers; helper modules are left alone.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Scripts run as `python bench/x.py`, so make the repo root importable (for bench.*).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import BENCH_VAR, REPO_ROOT

# profile_dispatch is a tool, peer_eventsourcing the peer that bench/commands.py runs in its own virtualenv.
NOT_SCRIPTS = {"__init__.py", "common.py", "run_all.py", "profile_dispatch.py", "peer_eventsourcing.py"}
MAIN_GUARD = 'if __name__ == "__main__":'
# A bench script aims at about two minutes; this only stops a hung one.
SCRIPT_TIMEOUT = 600.0
COLUMNS = ("metric", "value", "unit", "baseline_value", "ratio", "target", "met")


def bench_scripts() -> list[Path]:
    """The bench scripts, in name order."""
    return sorted(path for path in (REPO_ROOT / "bench").glob("*.py")
                  if path.name not in NOT_SCRIPTS and not path.name.startswith("stub_")
                  and MAIN_GUARD in path.read_text())


def shadowing_modules() -> list[str]:
    """bench/*.py named like a standard library module: bench/ is on sys.path of every script run from it,
    so such a file would replace that module for all of them (bench/http.py broke Django's imports)."""
    return sorted(path.name for path in (REPO_ROOT / "bench").glob("*.py") if path.stem in sys.stdlib_module_names)


def run_script(path: Path) -> dict[str, Any]:
    """Run one script; its metric lines, exit code and duration (stderr passes through live)."""
    started = time.monotonic()
    # Own process group, so a timeout also takes down the servers and clients it started.
    process = subprocess.Popen([sys.executable, str(path)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, _ = process.communicate(timeout=SCRIPT_TIMEOUT)
        returncode = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, _ = process.communicate()
        returncode = -signal.SIGKILL
    return {"script": str(path.relative_to(REPO_ROOT)), "returncode": returncode,
            "seconds": round(time.monotonic() - started, 1), "metrics": parse_metrics(stdout)}


def parse_metrics(stdout: str) -> list[dict[str, Any]]:
    """The JSON metric lines of a script's output; anything else is echoed to stderr."""
    metrics = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and "metric" in record:
            metrics.append(record)
        elif line.strip():
            print(line, file=sys.stderr)
    return metrics


def markdown_table(metrics: list[dict[str, Any]]) -> str:
    """The metrics as a Markdown table, one row each."""
    header = ["metric", "value", "unit", "baseline value", "ratio", "target", "met"]
    rows = [header, ["---"] * len(header)]
    rows += [[_cell(metric.get(column)) for column in COLUMNS] for metric in metrics]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _cell(value: Any) -> str:
    """A table cell: blank when absent, yes/no for booleans, thousands separators for big numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float) and abs(value) >= 100:
        return f"{value:,.0f}"
    return str(value)


def main() -> int:
    """Run all scripts, write the report, print the table; exit 1 if any script failed."""
    shadowing = shadowing_modules()
    if shadowing:
        print(f"[run_all] rename {', '.join(shadowing)}: it shadows the standard library for every bench script",
              file=sys.stderr)
        return 1
    runs = []
    for path in bench_scripts():
        print(f"[run_all] {path.relative_to(REPO_ROOT)}", file=sys.stderr, flush=True)
        runs.append(run_script(path))
    metrics = [{**metric, "script": run["script"]} for run in runs for metric in run["metrics"]]
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scripts": [{key: run[key] for key in ("script", "returncode", "seconds")} for run in runs],
        "metrics": metrics,
    }
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    (BENCH_VAR / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(markdown_table(metrics))
    failed = [run["script"] for run in runs if run["returncode"] != 0]
    if failed:
        print(f"[run_all] failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
