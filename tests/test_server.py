"""The embedded server: idempotent start, data kept, orphans adopted, crashes survived, TCP behind a password,
bad ports and bad folders refused before anything changes.

Each test runs its own server in its own data directory, so the session's server is never disturbed.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg
import pytest
from kit_fixtures import cli_process

from dbkit import ServerError, UsageError, server

pytestmark = pytest.mark.servers
ROOT = os.geteuid() == 0


@pytest.fixture
def empty_dir():
    """Where no server has been yet: `dbkit up` runs initdb there."""
    parent = Path(tempfile.mkdtemp(prefix="dbkit-srv-"))
    parent.chmod(0o755)
    directory = parent / "pg"
    yield directory
    server.down(directory)
    subprocess.run(["rm", "-rf", str(parent)], check=False)


@pytest.fixture(scope="module")
def _first_started():
    """A data directory as the first `dbkit up` and `down` leave it, made once per module (initdb is ~1 s)."""
    parent = Path(tempfile.mkdtemp(prefix="dbkit-srv-tpl-"))
    parent.chmod(0o755)
    server.up(directory=parent / "pg")
    server.down(parent / "pg")
    yield parent / "pg"
    subprocess.run(["rm", "-rf", str(parent)], check=False)


@pytest.fixture
def data_dir(empty_dir, _first_started):
    """A stopped server's data directory of its own: a copy (owner, modes and password file kept) of `_first_started`."""
    subprocess.run(["cp", "-a", str(_first_started), str(empty_dir)], check=True)
    return empty_dir


@pytest.fixture
def open_tmp():
    """A temp folder the server's user may traverse (pytest's tmp_path is private to root)."""
    parent = Path(tempfile.mkdtemp(prefix="dbkit-open-"))
    parent.chmod(0o755)
    yield parent
    subprocess.run(["rm", "-rf", str(parent)], check=False)


def _env(data_dir: Path) -> dict:
    """The environment of a process that must use the embedded server of `data_dir`, whatever DATABASE_URL says."""
    env = {**os.environ, "DBKIT_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return env


def _dbkit(data_dir: Path, *args: str):
    return cli_process(*args, env=_env(data_dir))


def _postmasters(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and "-D" in cmdline and str(data_dir) in cmdline and _alive(proc.pid):
            found.append(proc)
    return found


def _alive(pid: int) -> bool:
    """A stopped postmaster may linger as a zombie until its (container) init reaps it: that is not alive."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.01)


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


def test_cli_up_status_down(empty_dir):
    data_dir = empty_dir  # the first start: initdb, password, database
    up = _dbkit(data_dir, "up")
    assert up.code == 0 and up.stdout.strip() == server.status(data_dir).url
    assert _dbkit(data_dir, "url").stdout.strip() == up.stdout.strip()
    assert "server    running (pid" in _dbkit(data_dir, "status").stdout
    down = _dbkit(data_dir, "down")
    assert down.code == 0 and "stopped" in down.stdout
    assert "server    stopped" in _dbkit(data_dir, "status").stdout


def test_the_socket_is_private_and_tcp_needs_the_generated_password(data_dir):
    port = _free_port()
    current = server.up(port=port, directory=data_dir)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / f".s.PGSQL.{port}").stat().st_mode) == 0o700
    secret_file = data_dir / server.PASSWORD_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600 and len(server.password(data_dir)) >= 24
    plain = f"postgresql://postgres@127.0.0.1:{port}/dbkit"
    for attempt in (
        plain,
        f"postgresql://postgres:wrong@127.0.0.1:{port}/dbkit",
        f"postgresql://dbkit_reader@127.0.0.1:{port}/dbkit",
    ):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(attempt, connect_timeout=5)
    with psycopg.connect(current.tcp_url) as conn:
        assert conn.execute("SELECT inet_server_port(), current_user").fetchone() == (port, "postgres")
    with psycopg.connect(current.url) as conn:  # the unix socket keeps working, without a password
        assert conn.execute("SELECT 1").fetchone() == (1,)
    shown = _dbkit(data_dir, "url", "--tcp")
    assert shown.stdout.strip() == plain.replace("postgres@", "postgres:***@")
    assert _dbkit(data_dir, "url", "--tcp", "--show-password").stdout.strip() == current.tcp_url


@pytest.mark.skipif(not ROOT, reason="only root runs the server as another user")
def test_the_server_holds_only_its_own_users_group(data_dir):
    current = server.up(directory=data_dir)
    status = Path(f"/proc/{current.pid}/status").read_text()
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    uid, gid = (int(x) for x in (fields["Uid"].split()[0], fields["Gid"].split()[0]))
    import pwd

    entry = pwd.getpwnam(server.SYSTEM_USER)
    assert (uid, gid) == (entry.pw_uid, entry.pw_gid) and gid != 0
    assert fields["Groups"].strip() in ("", str(entry.pw_gid))


@pytest.fixture(scope="module")
def on_tcp(_first_started):
    """One server on a TCP port for every bad port below: each must leave it running as it was."""
    parent = Path(tempfile.mkdtemp(prefix="dbkit-srv-"))
    parent.chmod(0o755)
    subprocess.run(["cp", "-a", str(_first_started), str(parent / "pg")], check=True)
    yield parent / "pg", server.up(port=_free_port(), directory=parent / "pg")
    server.down(parent / "pg")
    subprocess.run(["rm", "-rf", str(parent)], check=False)


@pytest.mark.parametrize("bad", [0, 80, 70000, -1, "busy"])
def test_a_bad_port_is_refused_before_anything_is_stopped(on_tcp, bad):
    data_dir, first = on_tcp
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1] if bad == "busy" else bad
    try:
        with pytest.raises(UsageError, match="already in use" if bad == "busy" else "pick a number from 1024 to 65535"):
            server.up(port=port, directory=data_dir)
        done = _dbkit(data_dir, "up", "--port", str(port))
        assert done.code == 1 and len(done.lines) == 1 and "Traceback" not in done.stderr
    finally:
        busy.close()
    after = server.status(data_dir)
    assert after.running and after.pid == first.pid and after.port == first.port


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
    assert adopted.code == 0, adopted.stderr
    assert server.status(data_dir).pid == orphan_pid
    assert [p.pid for p in _postmasters(data_dir)] == [orphan_pid]
    assert _dbkit(data_dir, "down").code == 0
    assert _postmasters(data_dir) == [] and not _alive(orphan_pid)


def test_up_right_after_the_postmaster_was_killed_mid_seed_keeps_what_was_committed(data_dir):
    """SIGKILL the postmaster while a seed runs; `dbkit up` at once works and every committed schema is intact."""
    from kit_fixtures import digests

    from dbkit.migrate import migrate
    from dbkit.seed import seed

    first = server.up(directory=data_dir)
    migrate(first.url)
    seed(first.url, ["iris"])
    before = digests(first.url, ["iris"])
    env = {**_env(data_dir), "DBKIT_EMBEDDER": "hashing"}
    # --scale 5: its COPYs run for ~0.8 s here (the poll below is every 0.05 s); --scale 20 only waited longer
    seeding = subprocess.Popen([sys.executable, "-m", "dbkit", "seed", "orchestrator", "syris", "--scale", "5"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not _copying(first.url):
        time.sleep(0.05)
    assert seeding.poll() is None, "the seed ended before the kill: nothing was interrupted"
    _kill(first.pid)
    seeding.wait(timeout=60)
    again = _dbkit(data_dir, "up")
    assert again.code == 0, again.stderr
    url = server.status(data_dir).url
    assert digests(url, ["iris"]) == before
    for schema in ("orchestrator", "syris"):  # an interrupted schema is as it was (empty) or complete, never half
        rows = sum(n for n, _ in digests(url, [schema]).values())
        with psycopg.connect(url) as conn:
            recorded = conn.execute("SELECT rows FROM dbkit.seed_runs WHERE schema = %s", [schema]).fetchone()
        assert rows == (recorded[0] if recorded else 0)
    assert len(_postmasters(data_dir)) == 1


def _copying(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return bool(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %'").fetchone()[0])
    except psycopg.Error:
        return False


def test_a_folder_that_holds_something_else_is_refused_and_left_as_it_was(open_tmp):
    folder = open_tmp / "photos"
    folder.mkdir(mode=0o755)
    (folder / "cat.jpg").write_bytes(b"not a database")
    before = (stat.S_IMODE(folder.stat().st_mode), folder.stat().st_uid, sorted(p.name for p in folder.iterdir()))
    with pytest.raises(
        ServerError, match="is not empty and holds no PostgreSQL data; set DBKIT_DATA_DIR to a new or empty folder"
    ):
        server.up(directory=folder)
    assert (stat.S_IMODE(folder.stat().st_mode), folder.stat().st_uid, sorted(p.name for p in folder.iterdir())) == before


@pytest.mark.skipif(not ROOT, reason="mounting a small file system needs root")
@pytest.mark.parametrize(("options", "says"), [("size=600k", "No space left on device"), ("ro,size=1m", "Read-only file system")])
def test_a_full_or_read_only_disk_says_so(open_tmp, options, says):
    mount = open_tmp / "disk"
    mount.mkdir()
    mount.chmod(0o755)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"{options},mode=0755", "tmpfs", str(mount)], check=False).returncode:
        pytest.skip("this machine does not let root mount a tmpfs")
    try:
        done = _dbkit(mount / "pg", "up")
        assert done.code == 1 and len(done.lines) == 1 and says in done.stderr, done.stderr
        assert not (mount / "pg").exists() or not any((mount / "pg").iterdir())  # nothing half-made left behind
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.skipif(not ROOT, reason="only root runs the server as another user")
def test_private_parent_is_refused_not_loosened():
    private = Path(tempfile.mkdtemp(prefix="dbkit-private-"))  # mkdtemp makes it 0700
    try:
        with pytest.raises(ServerError, match="cannot enter; the kit never loosens a private directory"):
            server.up(directory=private / "pg")
        assert private.stat().st_mode & 0o777 == 0o700
    finally:
        private.rmdir()


def test_where_there_are_no_unix_sockets_the_server_listens_on_loopback_with_a_password(empty_dir):
    """The Windows branch of the platform seam, run here: TCP only, scram, a port remembered across starts."""
    data_dir = empty_dir  # initdb too runs as on Windows
    script = (
        "import sys; from pathlib import Path; from dbkit import _platform, server; _platform.SOCKETS = False\n"
        "s = server.up(directory=Path(sys.argv[1])); print(s.url); print(s.port)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)], env=_env(data_dir), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    url, port = done.stdout.split()
    assert url.startswith("postgresql://postgres:") and f"@127.0.0.1:{port}/dbkit" in url
    assert "local" not in (data_dir / "pg_hba.conf").read_text().split("#", 2)[-1].split("\n", 1)[-1]
    assert not list(data_dir.glob(".s.PGSQL.*"))
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT inet_server_port()").fetchone() == (int(port),)


def test_the_package_imports_without_posix_only_modules():
    """What Windows lacks (pwd, geteuid) is behind the platform seam: importing the kit does not need it."""
    script = (
        "import os, sys; sys.modules['pwd'] = None; del os.geteuid\n"
        "import dbkit, dbkit.server, dbkit.cli, dbkit.db, dbkit.explore, dbkit.catalog, dbkit.migrate, dbkit.seed\n"
        "from dbkit import _platform; print(_platform.is_root() if not _platform.POSIX else 'posix')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
