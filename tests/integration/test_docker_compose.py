"""docker-compose.yml describes the production shape with commands and settings that exist."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text()
APP_SERVICES = ["web", "worker", "beat"]


def _command_lines(service: dict) -> list[list[str]]:
    command = service["command"]
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def test_it_has_the_production_services_with_healthchecks():
    services = COMPOSE["services"]
    assert set(services) >= {"eventstore", "redis", "postgres", "web", "worker", "beat"}
    for name in ("eventstore", "redis", "postgres", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "noeviction" in services["redis"]["command"]
    assert "--appendonly" in services["redis"]["command"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_name_only_settings_the_project_reads(name):
    environment = COMPOSE["services"][name]["environment"]
    for variable in environment:
        assert re.search(rf'env\.\w+\("{variable}"', SETTINGS_SOURCE) or (
            variable == "DATABASE_URL" and 'env.db("DATABASE_URL"' in SETTINGS_SOURCE), variable


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_commands_that_exist(name):
    commands = get_commands()
    for argv in _command_lines(COMPOSE["services"][name]):
        program = argv[0]
        if program == "python":
            assert argv[1] == "manage.py" and argv[2] in commands, argv
        elif program == "celery":
            assert argv[1:3] == ["-A", "config"] and argv[3] in {"worker", "beat"}, argv
            assert (ROOT / "config" / "celery.py").exists()
        elif program == "gunicorn":
            module, _, attribute = argv[1].partition(":")
            assert (ROOT / Path(*module.split("."))).with_suffix(".py").exists()
            assert attribute == "application"
        else:
            pytest.fail(f"unexpected program {program!r} in {name}")


def test_the_app_image_installs_the_pinned_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert COMPOSE["x-app"]["build"] == "."
