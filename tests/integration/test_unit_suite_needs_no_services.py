"""`pytest tests/unit` starts no event store and no Redis: the unit tests run over in-memory doubles."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The unit tests that drive handlers, the process manager, projections and the corpus.
OVER_DOUBLES = ["tests/unit/test_dispatch.py", "tests/unit/test_fulfillment.py", "tests/unit/test_projections.py",
                "tests/unit/test_corpus.py"]


def test_unit_tests_pass_with_no_services_started():
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "ESDB_TEST_URL", "EVENTSTORE_URL", "CELERY_BROKER_URL"}}

    # -v cancels the configured -q, so pytest prints the plugin's header line.
    result = subprocess.run([sys.executable, "-m", "pytest", *OVER_DOUBLES, "-v", "-p", "no:cacheprovider"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "services: none (only tests/unit selected)" in result.stdout
    assert " passed" in result.stdout
