"""Start-up, shutdown and durability: what survives SIGTERM, kill -9 and a restart."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import uuid

import pytest
from esdbclient import EventStoreDBClient, StreamState

from config.devstack import local_services
from tests.server.helpers import ServerProcess, event


def test_server_does_not_import_django() -> None:
    code = "import sys, eventlog.server.server, eventlog.server.__main__; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=local_services.REPO_ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_prints_warning_and_address_and_stops_cleanly_on_sigterm() -> None:
    port = local_services.free_port()
    process = subprocess.Popen(local_services.eventstore_command(port), cwd=local_services.REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = process.stdout.readline()  # type: ignore[union-attr]
        assert "UNAUTHENTICATED" in banner and f"127.0.0.1:{port}" in banner
        local_services.wait_for_port(port, process=process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_port_in_use_fails_fast(esdb_url: str) -> None:
    cmd = local_services.eventstore_command(int(esdb_url.split(":")[2].split("?")[0]))
    out = subprocess.run(cmd, cwd=local_services.REPO_ROOT, capture_output=True, text=True, timeout=20)
    assert out.returncode != 0


def test_a_second_server_on_the_same_data_fails_fast(private_server: ServerProcess) -> None:
    cmd = local_services.eventstore_command(local_services.free_port(), data_dir=private_server.data_dir)
    out = subprocess.run(cmd, cwd=local_services.REPO_ROOT, capture_output=True, text=True, timeout=20)
    assert out.returncode != 0 and "in use by another event store" in out.stderr


@pytest.mark.slow
def test_acknowledged_appends_survive_kill_9(private_server: ServerProcess) -> None:
    prefix = f"durable-{uuid.uuid4().hex[:8]}"
    acked: list[tuple[str, int, uuid.UUID, int]] = []
    lock = threading.Lock()

    def appender(i: int) -> None:
        with EventStoreDBClient(private_server.url) as esdb:
            name = f"{prefix}-{i}"
            for n in range(15):
                new = event(f"E{n}")
                expected = StreamState.NO_STREAM if n == 0 else n - 1
                position = esdb.append_to_stream(name, current_version=expected, events=[new])
                with lock:
                    acked.append((name, n, new.id, position))

    threads = [threading.Thread(target=appender, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(acked) == 120

    private_server.kill()
    private_server.restart()

    with EventStoreDBClient(private_server.url) as esdb:
        stored = {(r.stream_name, r.stream_position, r.id, r.commit_position)
                  for r in esdb.read_all(filter_include=[f"{prefix}-.*"], filter_by_stream_name=True)}
        assert stored == set(acked)
        # The log carries on after the restart: revisions continue, positions keep growing.
        name = f"{prefix}-0"
        after = esdb.append_to_stream(name, current_version=14, events=[event("After")])
        assert after > max(position for *_rest, position in acked)
        assert esdb.get_stream(name)[-1].stream_position == 15


def test_positions_are_unchanged_by_a_clean_restart(private_server: ServerProcess) -> None:
    with EventStoreDBClient(private_server.url) as esdb:
        esdb.append_to_stream("kept", current_version=StreamState.NO_STREAM, events=[event(), event()])
        esdb.set_stream_metadata("kept", metadata={"$maxCount": 1})
        before = [(r.id, r.commit_position) for r in esdb.read_all(filter_exclude=[])]
    private_server.stop()
    private_server.restart()
    with EventStoreDBClient(private_server.url) as esdb:
        after = [(r.id, r.commit_position) for r in esdb.read_all(filter_exclude=[])]
        assert after[:len(before)] == before
        assert [r.stream_position for r in esdb.get_stream("kept")] == [1]  # metadata is reloaded too
