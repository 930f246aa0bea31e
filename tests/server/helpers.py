"""Helpers for the embedded event store's tests."""
from __future__ import annotations

from pathlib import Path

from esdbclient import NewEvent

from config.devstack import local_services


def event(type_: str = "Happened", data: bytes = b"{}", **kwargs: object) -> NewEvent:
    """A new event with JSON data."""
    return NewEvent(type=type_, data=data, **kwargs)  # type: ignore[arg-type]


class ServerProcess:
    """A private event store process, for tests that kill or restart it."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self.port = local_services.free_port()
        self.process = local_services.start(local_services.eventstore_command(self.port, data_dir=data_dir),
                                            port=self.port)

    @property
    def url(self) -> str:
        """The esdb:// URL of this server."""
        return f"esdb://127.0.0.1:{self.port}?Tls=false"

    def kill(self) -> None:
        """kill -9: no chance to flush or close anything."""
        self.process.kill()
        self.process.wait()

    def restart(self) -> None:
        """Start again on the same port and data directory."""
        self.process = local_services.start(
            local_services.eventstore_command(self.port, data_dir=self.data_dir), port=self.port)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        local_services.stop(self.process)
