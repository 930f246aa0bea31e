"""`make install` writes a local .env so manage.py commands run as the README prints them.

Each test runs a real `make` or `manage.py` in a subprocess, without DEBUG or SECRET_KEY in its
environment (the test run itself ignores .env: the plugin sets ENV_FILE to empty).
"""
from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "ENV_FILE"}}
    return {**env, **extra}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    """A .env written by the Makefile's own rule, in an empty directory."""
    result = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), ".env",
                             f"PYTHON={sys.executable}"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path / ".env"


def test_make_writes_debug_and_a_generated_secret_key_once(env_file: Path):
    lines = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert lines["DEBUG"] == "true"
    assert len(lines["SECRET_KEY"]) >= 50
    assert len(base64.b64decode(lines["PII_MASTER_KEY"], validate=True)) == 32
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600  # a secret: only its owner reads it
    before = env_file.read_text()

    subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(env_file.parent), ".env"],
                   check=True, capture_output=True, timeout=60)

    assert env_file.read_text() == before, "an existing .env must never be overwritten"


def test_an_env_file_without_a_master_key_gets_one_appended_and_an_existing_one_is_kept(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=" + "k" * 50)  # written before personal data was encrypted

    def append() -> None:
        subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "pii-master-key",
                        f"PYTHON={sys.executable}"], check=True, capture_output=True, timeout=60)

    append()
    lines = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    append()

    assert lines["SECRET_KEY"] == "k" * 50 and len(base64.b64decode(lines["PII_MASTER_KEY"])) == 32
    assert dict(line.split("=", 1) for line in env_file.read_text().splitlines()) == lines


def test_management_commands_run_with_only_the_env_file(env_file: Path):
    result = _manage("projections", "--help", env=_clean_env(ENV_FILE=str(env_file)))

    assert result.returncode == 0, result.stderr
    assert "status" in result.stdout


def test_without_the_env_file_the_secret_key_is_still_required():
    result = _manage("projections", "--help", env=_clean_env(ENV_FILE=""))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_environment_wins_over_the_env_file(env_file: Path):
    code = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    result = _manage("shell", "--no-imports", "-c", code, env=_clean_env(ENV_FILE=str(env_file), DEBUG="false",
                                                         SECRET_KEY="from-the-environment-" * 3))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "from-the-environment-" * 3]
