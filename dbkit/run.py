"""`dbkit run`: execute every notebook headlessly into build/ as executed .ipynb and self-contained HTML.

The HTML carries its own copy of Mermaid (`dbkit/static/`, MIT licence alongside), so the ER diagrams
render offline; nbconvert would otherwise load Mermaid from a CDN.
"""

from __future__ import annotations

import base64
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .errors import DbkitError
from .lab import NOTEBOOKS

__all__ = ["MERMAID_JS", "run"]

MERMAID_JS = Path(__file__).resolve().parent / "static" / "mermaid-11.10.0.min.js"
# nbconvert's template does `(await import(url)).default`: hand it the global that the inlined script defines.
_MERMAID_MODULE = "data:text/javascript;base64," + base64.b64encode(b"export default window.mermaid;").decode()


def run(
    names: list[str] | None = None,
    *,
    out: Path = Path("build"),
    source: Path = NOTEBOOKS,
    timeout: int = 600,
    announce: Callable[[str], None] = print,
) -> list[Path]:
    """Execute the notebooks (all, or those whose name starts with one of `names`); return the HTML files."""
    import nbformat
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    chosen = sorted(p for p in Path(source).glob("*.ipynb") if not names or p.name.startswith(tuple(names)))
    if not chosen:
        raise DbkitError(f"no notebook matches {', '.join(names or ['*'])} in {source}")
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab", mermaid_js_url=_MERMAID_MODULE, mermaid_layout_elk_js_url="")
    # startOnLoad off: nbconvert's own script renders each diagram; Mermaid's auto-start would race it.
    inline = (
        f"<script>{MERMAID_JS.read_text(encoding='utf-8')}</script>\n"
        "<script>mermaid.initialize({startOnLoad: false});</script>\n</head>"
    )
    written = []
    for path in chosen:
        started = time.perf_counter()
        notebook = nbformat.read(path, as_version=4)
        try:
            _execute(notebook, timeout, path.parent)
        except CellExecutionError as exc:
            nbformat.write(notebook, out / path.name)  # keep the partial run: it shows where it stopped
            lines = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()  # no terminal colours in a message
            first = lines[-1] if lines else "cell error"
            raise DbkitError(f"{path.name} failed: {first}; the partial run is in {out / path.name}") from None
        nbformat.write(notebook, out / path.name)
        body, _ = exporter.from_notebook_node(notebook)
        html = out / path.with_suffix(".html").name
        html.write_text(body.replace("</head>", inline, 1), encoding="utf-8")
        written.append(html)
        announce(f"ran      {path.name} ({time.perf_counter() - started:.1f} s) -> {html}")
    return written


def _execute(notebook, timeout: int, folder: Path) -> None:
    """Run every cell in a fresh kernel that talks over unix sockets (ipykernel warns about plain TCP)."""
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="dbkit-run-") as sockets:
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=f"{sockets}/kernel")
        # immediate: the run is over, a graceful shutdown only waited (0.3 s a kernel)
        client = NotebookClient(
            notebook, timeout=timeout, km=kernel, shutdown_kernel="immediate", resources={"metadata": {"path": str(folder)}}
        )
        client.execute(cleanup_kc=True)  # stop the kernel and close its sockets, though the manager is ours
