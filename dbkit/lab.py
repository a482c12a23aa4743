"""Open JupyterLab on the kit's notebooks, on loopback, with a fresh token it prints first."""

from __future__ import annotations

import os
import secrets
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import ConfigError

__all__ = ["NOTEBOOKS", "command", "launch"]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def launch(*, port: int = 8888, browser: bool = False, announce: Callable[[str], None] = print) -> None:
    """Replace this process with JupyterLab serving `notebooks/` on 127.0.0.1 (never returns)."""
    if not NOTEBOOKS.is_dir():
        raise ConfigError(f"no notebooks folder at {NOTEBOOKS}; run from the kit's checkout")
    port = _free_port(port)
    token = secrets.token_hex(24)
    announce(f"JupyterLab: http://127.0.0.1:{port}/lab?token={token}")
    args = command(port, token, browser=browser)
    sys.stdout.flush()
    os.execv(args[0], args)


def command(port: int, token: str, *, browser: bool = False, root: Path = NOTEBOOKS) -> list[str]:
    """The JupyterLab command line: loopback only, this token, `root` (default `notebooks/`) as its root."""
    args = [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    if not browser:
        args.append("--no-browser")
    if os.geteuid() == 0:
        args.append("--allow-root")  # root is this machine's only user; JupyterLab refuses it by default
    return args


def _free_port(first: int) -> int:
    for port in range(first, first + 50):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ConfigError(f"no free port in {first}-{first + 49}; pass --port")
