"""See the kit as a person does: JupyterLab in headless Chromium runs a schema notebook, renders its Mermaid
diagram, and a widget answers a click. Screenshots land in build/browser/.

Needs Debian's Chromium (`apt-get install chromium`) and the `browser` dependency group (Playwright,
driving that Chromium: no browser download). Run it with `make browser-check`. It uses its own
embedded server and JupyterLab, and stops both.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

NOTEBOOK = "02_ibex.ipynb"
CHROMIUM = "/usr/bin/chromium"
OUT = Path(__file__).resolve().parents[2] / "build" / "browser"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync"]  # fmt: skip


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"no {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="dbkit-browser-"))
    workdir.chmod(0o755)
    os.environ["DBKIT_DATA_DIR"] = str(workdir / "pg")
    os.environ.pop("DATABASE_URL", None)
    from dbkit import migrate, server
    from dbkit.lab import NOTEBOOKS, _free_port, command
    from dbkit.seed import seed

    lab = None
    try:
        server.up()
        migrate()
        seed(schemas=["ibex_core"])
        port, token = _free_port(8890), secrets.token_hex(16)
        copy = shutil.copytree(NOTEBOOKS, workdir / "notebooks")  # JupyterLab saves what it runs: not into the repo
        lab = subprocess.Popen(command(port, token, root=copy), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/api/status?token={token}")
        return _drive(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
    finally:
        if lab is not None:
            lab.terminate()
            lab.wait(timeout=30)
        server.down()
        shutil.rmtree(workdir, ignore_errors=True)


def _drive(url: str) -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url)
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)  # the kernel is up
        news = page.locator(".jp-toast-button", has_text="No")  # JupyterLab's "news?" toast covers the page
        if news.count():
            news.first.click(timeout=5_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            return _check(page)
        except Exception:
            page.screenshot(path=str(OUT / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def _check(page) -> int:
    # JupyterLab renders `text/vnd.mermaid` outputs as an image of the SVG Mermaid drew; a parse error
    # would show the source with a warning instead (`jp-mod-warning`).
    diagram = page.locator(".jp-RenderedMermaid:not(.jp-mod-warning) img").first
    diagram.wait_for(timeout=120_000)
    diagram.scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / "diagram.png"))
    box = diagram.bounding_box()
    print(f"Mermaid ER diagram rendered as an image of {box['width']:.0f}x{box['height']:.0f} px")

    dropdowns = page.locator(".jupyter-widgets.widget-dropdown select")
    dropdowns.first.wait_for(timeout=120_000)
    table = dropdowns.nth(1)  # TableBrowser: schema, then table
    table.scroll_into_view_if_needed()
    table.select_option(index=2)
    choice = table.evaluate("select => select.options[select.selectedIndex].text").strip()
    heading = page.get_by_text(f"ibex_core.{choice}: columns").first
    heading.wait_for(timeout=60_000)
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / "widget.png"))
    print(f"TableBrowser switched to ibex_core.{choice} and showed its columns")
    print(f"screenshots in {OUT}")
    return 0


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
