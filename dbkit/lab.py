"""JupyterLab on the kit's notebooks: quiet, on loopback, and unable to dirty the repository.

Why the lab works on `notebooks/` itself and not on a copy: the walkthroughs are meant to be edited there
(a fix to a caption should land in the tracked file), so the lab saves walkthroughs without outputs
(`strip_on_save`, nbstripout's rules, widget state too) and puts every new file in `notebooks/scratch/`,
which git ignores and the test suite does not collect; notebooks in `scratch/` keep their outputs.

`launch()` starts JupyterLab with its log in `build/lab.log`, waits until it answers, then prints only
its URL; Ctrl-C stops it.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError, ServerError

__all__ = ["NOTEBOOKS", "SCRATCH", "launch", "command", "strip_on_save", "KitContentsManager"]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SCRATCH = "scratch"  # under notebooks/: ignored by git and by the suite


def strip_on_save(model: dict[str, Any], path: str, **_: Any) -> None:
    """Jupyter's pre-save hook: a walkthrough (anything outside scratch/) is written without outputs."""
    if model.get("type") != "notebook" or path.strip("/").split("/", 1)[0] == SCRATCH:
        return
    import nbformat
    from nbstripout import strip_output

    notebook = nbformat.from_dict(model["content"])
    strip_output(notebook, keep_output=False, keep_count=False, keep_id=True, extra_keys=["metadata.widgets"])
    model["content"] = notebook


def _contents_manager_base() -> type:
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

    return AsyncLargeFileManager


class KitContentsManager(_contents_manager_base()):  # type: ignore[misc]
    """The lab's files: walkthroughs saved stripped, new files in scratch/."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.register_pre_save_hook(strip_on_save)

    async def new_untitled(self, path: str = "", type: str = "", ext: str = "") -> dict[str, Any]:
        if path.strip("/") == "":
            if not await self.dir_exists(SCRATCH):
                await self.new({"type": "directory"}, SCRATCH)
            path = SCRATCH
        return await super().new_untitled(path=path, type=type, ext=ext)


def launch(*, port: int = 8888, browser: bool = False, announce: Callable[[str], None] = print, log: Path | None = None) -> None:
    """Run JupyterLab on `notebooks/` until Ctrl-C; print its URL once it answers."""
    if not NOTEBOOKS.is_dir():
        raise ConfigError(f"no notebooks folder at {NOTEBOOKS}; run from the kit's checkout")
    port = _free_port(port)
    token = secrets.token_hex(24)
    log = log or NOTEBOOKS.parent / "build" / "lab.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as sink:
        lab = subprocess.Popen(command(port, token), stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/lab?token={token}"
    try:
        _wait_until_answering(lab, port, token, log)
        announce(f"JupyterLab: {url}")
        if browser:
            import webbrowser

            webbrowser.open(url)
        lab.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(lab)


def command(port: int, token: str, *, root: Path = NOTEBOOKS) -> list[str]:
    """The JupyterLab command line: loopback only, this token, `root` (default `notebooks/`), the kit's contents manager."""
    args = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.contents_manager_class=dbkit.lab.KitContentsManager",
        "--ServerApp.log_level=WARN",
    ]  # fmt: skip
    if os.name == "posix" and os.geteuid() == 0:
        args.append("--allow-root")  # root is this machine's only user; JupyterLab refuses it by default
    return args


def _wait_until_answering(lab: subprocess.Popen[bytes], port: int, token: str, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.poll() is not None:
            raise ServerError(f"JupyterLab stopped at start (exit {lab.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise ServerError(f"JupyterLab did not answer within {timeout:.0f} s; see {log}")


def _stop(lab: subprocess.Popen[bytes]) -> None:
    if lab.poll() is None:
        lab.send_signal(signal.SIGTERM)  # Jupyter shuts its kernels down cleanly on SIGTERM
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait()


def _free_port(first: int) -> int:
    for port in range(first, first + 50):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ConfigError(f"no free port in {first}-{first + 49}; pass --port")
