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


def _published(port: object) -> tuple[str, str]:
    """(host address, container port) of a compose `ports` entry, short or long syntax."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "0.0.0.0")), str(port["target"])
    parts = str(port).split(":")
    host_ip = parts[0] if len(parts) == 3 else "0.0.0.0"
    return host_ip, parts[-1].split("/")[0]


def test_the_insecure_event_store_is_not_published_on_every_interface():
    services = COMPOSE["services"]
    for name, service in services.items():
        for host_ip, target in map(_published, service.get("ports", [])):
            if target == "2113" or name == "eventstore":
                assert host_ip in {"127.0.0.1", "::1", "localhost"}, (name, host_ip, target)
    assert services["eventstore"]["environment"]["KURRENTDB_INSECURE"] == "true"  # which is why


def test_the_app_image_installs_the_pinned_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert COMPOSE["x-app"]["build"] == "."
