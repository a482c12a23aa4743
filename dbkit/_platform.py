"""The one seam between the kit and the operating system: everything POSIX-only lives here.

On Linux and macOS the embedded server listens on a unix socket in its data directory (private to
its user) and, as root, runs as a system user of its own. Windows has neither `pwd` nor `geteuid`
nor (for PostgreSQL) unix sockets: there the server listens on 127.0.0.1 only, with a password.
Tests flip `SOCKETS` to exercise the TCP-only branch on Linux too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["POSIX", "SOCKETS", "chown", "default_data_dir", "ensure_system_user", "is_root", "run_kwargs", "user_ids"]

POSIX = os.name == "posix"
SOCKETS = POSIX  # PostgreSQL on Windows has no unix sockets; a test may set this to False


def is_root() -> bool:
    return POSIX and os.geteuid() == 0


def user_ids(name: str) -> tuple[int, int] | None:
    """(uid, gid) of a system user, or None when there is no such user (or no such concept)."""
    if not POSIX:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def ensure_system_user(name: str) -> tuple[int, int]:
    """Create a system user without a home (root only) and return its (uid, gid)."""
    ids = user_ids(name)
    if ids is None:
        done = subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", name], capture_output=True, text=True)
        ids = user_ids(name)
        if ids is None:  # a concurrent useradd may have won the race; anything else is a real failure
            raise OSError(f"useradd {name} failed: {done.stderr.strip() or done.returncode}")
    return ids


def run_kwargs(run_as: str | None) -> dict[str, Any]:
    """subprocess arguments that detach a server from the terminal and drop root to `run_as`.

    `user=` alone keeps the caller's group (root) and supplementary groups: pass all three, so the
    server holds only its own user's primary group.
    """
    if not POSIX:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    kwargs: dict[str, Any] = {"start_new_session": True}  # Ctrl-C in the terminal must not reach the server
    if run_as:
        ids = ensure_system_user(run_as)
        kwargs.update(user=ids[0], group=ids[1], extra_groups=[])
    return kwargs


def chown(path: Path, run_as: str | None) -> None:
    if run_as and POSIX:
        uid, gid = ensure_system_user(run_as)
        os.chown(path, uid, gid)


def default_data_dir(root_home: Path) -> Path:
    """Per-user data folder; as root, a system folder outside every private home."""
    if is_root():
        return root_home / "pg18"
    import platformdirs

    return platformdirs.user_data_path("dbkit") / "pg18"


def executable(name: str) -> str:
    return name + (".exe" if sys.platform == "win32" else "")
