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
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
WORKERS = sorted(name for name in COMPOSE["services"] if name == "worker" or name.startswith("worker-"))
APP_SERVICES = ["migrate", "web", *WORKERS, "beat"]
LONG_RUNNING = ["eventstore", "redis", "postgres", "web", *WORKERS, "beat", "proxy"]
CLUSTER_NODES = ["eventstore-node1", "eventstore-node2", "eventstore-node3"]


def _command_lines(service: dict) -> list[list[str]]:
    command = service["command"]
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def test_it_has_the_production_services_with_healthchecks():
    services = COMPOSE["services"]
    assert set(services) >= {"eventstore", "redis", "postgres", "web", "worker", "beat"}
    for name in ("eventstore", "redis", "postgres", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert "noeviction" in services["redis"]["command"]
    assert "--appendonly" in services["redis"]["command"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_name_only_settings_the_project_reads(name):
    environment = COMPOSE["services"][name]["environment"]
    # Settings read them through django-environ; the process hooks (gunicorn, Celery workers) through os.environ.
    config_sources = "\n".join(path.read_text() for path in (ROOT / "config").glob("*.py"))
    for variable in environment:
        assert re.search(rf'env\.\w+\("{variable}"', SETTINGS_SOURCE) or (
            variable == "DATABASE_URL" and 'env.db("DATABASE_URL"' in SETTINGS_SOURCE) or (
            re.search(rf'os\.environ(\.get\(|\[)"{variable}"', config_sources)), variable


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_commands_that_exist(name):
    commands = get_commands()
    for argv in _command_lines(COMPOSE["services"][name]):
        program = argv[0]
        if program == "python":
            assert argv[1] == "manage.py" and argv[2] in commands, argv
        elif program == "celery":
            subcommand = [word for word in argv[3:] if not word.startswith("-")][0]
            assert argv[1:3] == ["-A", "config"] and subcommand in {"worker", "beat"}, argv
            assert (ROOT / "config" / "celery.py").exists()
        elif program == "gunicorn":
            assert argv[1:3] == ["-c", "config/gunicorn.conf.py"] and GUNICORN_CONF.exists(), argv
            module, _, attribute = argv[3].partition(":")
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


def _healthcheck(name: str) -> str:
    test = COMPOSE["services"][name]["healthcheck"]["test"]
    return test[1] if test[0] == "CMD-SHELL" else shlex.join(test[1:])


def test_web_is_probed_on_ping_with_a_host_allowed_hosts_accepts():
    probe = _healthcheck("web")
    assert "/ping" in probe and "/healthz" not in probe  # /healthz is 503 on any dependency outage
    [host] = re.findall(r"'Host': '([^']+)'", probe)
    allowed = re.search(r"ALLOWED_HOSTS:-([^}]+)}", yaml.safe_dump(COMPOSE["x-app"]["environment"]))
    assert allowed and host in allowed.group(1).split(","), (host, allowed)
    from django.urls import resolve

    assert resolve("/ping").url_name == "ping"


@pytest.mark.parametrize("name", WORKERS)
def test_each_worker_pings_its_own_node(name):
    probe = _healthcheck(name)
    assert shlex.split(probe)[:4] == ["celery", "-A", "config", "inspect"] and "ping" in probe
    # `$$` is compose's escape for a literal `$`: the container's shell expands its own HOSTNAME,
    # which is Celery's default node name (celery@<hostname>).
    assert "-d celery@$$HOSTNAME" in probe
    assert "-n" not in COMPOSE["services"][name]["command"]  # so the default node name holds


def _consumed_queues(name: str) -> list[str]:
    command = COMPOSE["services"][name]["command"]
    return command[command.index("-Q") + 1].split(",")


def test_workers_run_per_queue_and_together_consume_every_queue_the_app_routes_to():
    from projections.queues import all_queues

    consumed = {name: _consumed_queues(name) for name in WORKERS}
    assert consumed["worker-projections"] == ["projections"]  # what `--scale worker-projections=3` scales
    assert consumed["worker-fulfillment"] == ["fulfillment"]
    missing = set(all_queues()) - {queue for queues in consumed.values() for queue in queues}
    assert not missing, f"no compose worker consumes {sorted(missing)}: tasks routed there would never run"


def test_the_cluster_profile_runs_three_kurrentdb_nodes_reached_through_discovery():
    from esdbclient.connection_spec import ConnectionSpec

    services = COMPOSE["services"]
    for name in CLUSTER_NODES:
        node = services[name]
        environment = node["environment"]
        assert node["profiles"] == ["cluster"], name
        assert environment["KURRENTDB_CLUSTER_SIZE"] == "3", name
        seeds = {seed.split(":")[0] for seed in environment["KURRENTDB_GOSSIP_SEED"].split(",")}
        assert seeds == set(CLUSTER_NODES) - {name}, name
        assert environment["KURRENTDB_NODE_HOST_ADVERTISE_AS"] == name
        assert "eventstore-cluster" in node["networks"]["default"]["aliases"], name  # the discovery name
        assert "ports" not in node, name  # insecure: inside the compose network only
        assert "healthcheck" in node, name
    assert "profiles" not in services["eventstore"]  # a plain `docker compose up` keeps the single node
    for name in CLUSTER_NODES:
        assert COMPOSE["x-app"]["depends_on"][name] == {"condition": "service_healthy", "required": False}
    [url] = re.findall(r"EVENTSTORE_URL='([^']+)' docker compose --profile cluster up",
                       (ROOT / "docker-compose.yml").read_text())
    spec = ConnectionSpec(url)  # the connection string the app's client is given
    assert spec.scheme == "esdb+discover" and spec.targets == ["eventstore-cluster:2113"]


def test_gunicorn_serves_with_threads():
    import runpy

    conf = runpy.run_path(str(GUNICORN_CONF), init_globals={})
    assert conf["worker_class"] == "gthread" and conf["threads"] >= 2
    assert COMPOSE["services"]["web"]["environment"]["GUNICORN_THREADS"] == "${GUNICORN_THREADS:-4}"


def test_beat_proves_it_ticks():
    argv = COMPOSE["services"]["beat"]["healthcheck"]["test"]
    assert argv[:4] == ["CMD", "python", "manage.py", "beat_health"], argv
    assert "beat_health" in get_commands()
    assert re.search(r'CELERY_BEAT_SCHEDULER = "config\.beat:HeartbeatScheduler"', SETTINGS_SOURCE)


def test_a_one_off_migrate_runs_before_the_app_services():
    services = COMPOSE["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", *WORKERS, "beat"):
        assert "migrate" not in " ".join(map(str, services[name]["command"])), name
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_restart(name):
    assert COMPOSE["services"][name]["restart"] in {"unless-stopped", "always"}


def test_tls_terminates_in_the_proxy_and_the_app_trusts_only_its_header():
    services = COMPOSE["services"]
    assert "ports" not in services["web"]  # reachable only through the proxy
    assert {_published(port)[1] for port in services["proxy"]["ports"]} == {"80", "443"}
    caddyfile = ROOT / "deploy" / "caddy" / "Caddyfile"
    assert any(volume.startswith("./deploy/caddy/Caddyfile:") for volume in services["proxy"]["volumes"])
    assert "reverse_proxy web:8000" in caddyfile.read_text()
    environment = COMPOSE["x-app"]["environment"]
    assert environment["SECURE_PROXY_SSL_HEADER"] == "X-Forwarded-Proto"
    assert "SECURE_COOKIES" not in environment  # cookies stay Secure: the proxy serves https


def test_the_image_runs_as_an_unprivileged_user():
    lines = [line.split() for line in (ROOT / "Dockerfile").read_text().splitlines() if line and line[0] != "#"]
    users = [words[1] for words in lines if words[0] == "USER"]
    assert users and users[-1] not in {"root", "0"}, users
    last_from = max(i for i, words in enumerate(lines) if words[0] == "FROM")
    assert any(words[0] == "USER" for words in lines[last_from:])


# Nested directories need `**/` (.dockerignore patterns match from the context root).
@pytest.mark.parametrize("entry", [".venv/", "var/", ".git/", "**/__pycache__/", ".pytest_cache/", ".ruff_cache/",
                                   "**/node_modules/", ".env", "**/*.sqlite3"])
def test_the_build_context_leaves_out_local_state(entry):
    entries = (ROOT / ".dockerignore").read_text().splitlines()
    assert entry in entries


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_the_app_services_set_is_in_the_readme_table(name):
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Settings"):readme.index("## Security")]
    for variable in COMPOSE["services"][name]["environment"]:
        assert f"`{variable}`" in table, variable
