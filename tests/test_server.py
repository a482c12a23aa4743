"""The embedded server: idempotent start, data kept across restarts, adoption of orphans, TCP, safe locations.

Each test runs its own server in its own data directory, so the session's server is never disturbed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import psycopg
import pytest

from dbkit import ServerError, server


@pytest.fixture
def data_dir():
    parent = Path(tempfile.mkdtemp(prefix="dbkit-srv-"))
    parent.chmod(0o755)
    directory = parent / "pg"
    yield directory
    server.down(directory)
    subprocess.run(["rm", "-rf", str(parent)], check=False)


def _env(data_dir: Path) -> dict:
    """The environment of a process that must use the embedded server of `data_dir`, whatever DATABASE_URL says."""
    env = {**os.environ, "DBKIT_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return env


def _dbkit(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dbkit", *args], env=_env(data_dir), capture_output=True, text=True, timeout=120)


def _postmasters(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and "-D" in cmdline and str(data_dir) in cmdline and _alive(proc.pid):
            found.append(proc)
    return found


def test_up_is_idempotent_and_data_survives_restart(data_dir):
    first = server.up(directory=data_dir)
    assert first.running and server.up(directory=data_dir).pid == first.pid
    with psycopg.connect(first.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
    assert server.down(data_dir) is True
    assert server.status(data_dir).running is False and _postmasters(data_dir) == []
    assert server.down(data_dir) is False
    again = server.up(directory=data_dir)
    with psycopg.connect(again.url) as conn:
        assert conn.execute("SELECT v FROM kept").fetchone() == ("still here",)


def test_cli_up_status_down(data_dir):
    up = _dbkit(data_dir, "up")
    assert up.returncode == 0 and up.stdout.strip() == server.status(data_dir).url
    assert _dbkit(data_dir, "url").stdout.strip() == up.stdout.strip()
    status = _dbkit(data_dir, "status")
    assert "server    running (pid" in status.stdout
    down = _dbkit(data_dir, "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    assert "server    stopped" in _dbkit(data_dir, "status").stdout


def test_orphan_of_a_killed_owner_is_adopted_then_stopped(data_dir):
    owner = subprocess.Popen(
        [sys.executable, "-c", "import dbkit, time; dbkit.connect().close(); print('ready', flush=True); time.sleep(600)"],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout.readline().strip() == "ready"
    orphan_pid = server.status(data_dir).pid
    owner.send_signal(signal.SIGKILL)
    owner.wait(timeout=30)
    owner.stdout.close()

    adopted = _dbkit(data_dir, "up")
    assert adopted.returncode == 0, adopted.stderr
    assert server.status(data_dir).pid == orphan_pid
    assert [p.pid for p in _postmasters(data_dir)] == [orphan_pid]
    assert _dbkit(data_dir, "down").returncode == 0
    assert _postmasters(data_dir) == [] and not _alive(orphan_pid)


def test_killed_postmaster_is_restarted_with_its_data(data_dir):
    first = server.up(directory=data_dir)
    with psycopg.connect(first.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
    os.kill(first.pid, signal.SIGKILL)
    psutil.Process(first.pid).wait(timeout=30) if psutil.pid_exists(first.pid) else None
    assert server.status(data_dir).running is False
    again = server.up(directory=data_dir)
    assert again.pid != first.pid
    with psycopg.connect(again.url) as conn:
        assert conn.execute("SELECT v FROM kept").fetchone() == (42,)
    assert len(_postmasters(data_dir)) == 1


def test_port_listens_on_loopback(data_dir):
    port = _free_port()
    current = server.up(port=port, directory=data_dir)
    assert current.tcp and current.tcp_url == f"postgresql://postgres@127.0.0.1:{port}/dbkit"
    with psycopg.connect(current.tcp_url) as conn:
        assert conn.execute("SELECT inet_server_port()").fetchone() == (port,)
    with psycopg.connect(current.url) as conn:  # the unix socket keeps working
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_private_parent_is_refused_not_loosened():
    private = Path(tempfile.mkdtemp(prefix="dbkit-private-"))  # mkdtemp makes it 0700
    try:
        with pytest.raises(ServerError, match="cannot enter; the kit never loosens a private directory"):
            server.up(directory=private / "pg")
        assert private.stat().st_mode & 0o777 == 0o700
    finally:
        private.rmdir()


def _alive(pid: int) -> bool:
    """A stopped postmaster may linger as a zombie until its (container) init reaps it: that is not alive."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
