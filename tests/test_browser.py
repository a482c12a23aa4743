"""JupyterLab in a real Chromium: a diagram renders, a widget answers a click, a wide table scrolls, no error shows.

Needs Debian's Chromium (`.ci/run` installs it when CI=true); skipped, with the reason, where there is none.
Playwright drives that Chromium (no browser download). JupyterLab runs on a folder of its own, so nothing it
saves reaches the repository; screenshots land in build/browser/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = [pytest.mark.browser, pytest.mark.notebooks]  # JupyterLab runs a notebook in a kernel
# Debian's package (what .ci/run installs), or the one a developer or a hosted runner already has
CHROMIUM = next(
    (Path(found) for name in ("chromium", "chromium-browser", "google-chrome", "chrome") if (found := shutil.which(name))),
    None,
)
OUT = Path(__file__).resolve().parent.parent / "build" / "browser"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-quic"]  # fmt: skip
CELLS = [
    ("diagram", "from dbkit import diagram, explore\nmarkup = diagram.show('ibex_core', around='memories')"),
    # read_past_rls: the rows of every organization also where the explorer may not bypass RLS (a managed server)
    ("wide", "explore.read_past_rls()\nexplore.query('SELECT * FROM ibex_core.memories ORDER BY id LIMIT 3')"),
    ("browser", "from dbkit.widgets import TableBrowser\nbrowser = TableBrowser(schema='iris', table='sprites')\nbrowser"),
]


@pytest.fixture(scope="module")
def lab(seeded_clone, tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("no Chromium on PATH: `apt-get install chromium` (.ci/run installs it when CI=true)")
    pytest.importorskip("playwright.sync_api", reason="the dev dependency group (playwright) is not installed")
    from dbkit.lab import _free_port, _wait_until_answering, command

    root = tmp_path_factory.mktemp("lab")
    root.chmod(0o755)
    cells = [new_markdown_cell("# In the browser")] + [new_code_cell(src, metadata={"tags": [tag]}) for tag, src in CELLS]
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}
    nbformat.write(new_notebook(cells=cells, metadata=kernel), root / "check.ipynb")
    port, token = _free_port(18990), secrets.token_hex(16)
    log = root.parent / "lab.log"
    env = {**os.environ, "DATABASE_URL": seeded_clone}
    with open(log, "wb") as sink:
        process = subprocess.Popen(command(port, token, root=root), stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_answering(process, port, token, log)
        yield f"http://127.0.0.1:{port}", token
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    base, token = lab
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/lab/tree/check.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
        news = page.locator(".jp-toast-button", has_text="No")  # JupyterLab's "news?" toast covers the page
        if news.count():
            news.first.click(timeout=5_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        page.locator(".jupyter-widgets.widget-dropdown select").first.wait_for(timeout=120_000)
        yield page
        browser.close()


def test_the_diagram_renders_at_a_readable_size(page):
    diagram = page.locator(".jp-RenderedMermaid:not(.jp-mod-warning) img").first
    diagram.wait_for(timeout=60_000)
    diagram.scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / "diagram.png"))
    box = diagram.bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    natural = diagram.evaluate("img => img.naturalWidth")
    assert box["width"] >= 0.5 * natural, "drawn at less than half its size: unreadable"


def test_a_wide_table_scrolls_instead_of_being_cut_off(page):
    wrap = page.locator(".dbkit-wrap").first
    wrap.scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / "wide-table.png"))
    sizes = wrap.evaluate("e => ({scroll: e.scrollWidth, client: e.clientWidth, overflow: getComputedStyle(e).overflowX})")
    assert sizes["scroll"] > sizes["client"] and sizes["overflow"] == "auto"
    assert "vector(384)" in wrap.inner_text()


def test_the_table_browser_answers_a_click(page):
    table = page.locator(".jupyter-widgets.widget-dropdown select").nth(1)  # schema, then table
    table.scroll_into_view_if_needed()
    table.select_option("councils")
    heading = page.get_by_text("iris.councils:").first
    heading.wait_for(timeout=60_000)
    page.screenshot(path=str(OUT / "widget.png"))
    assert "rows match" in heading.inner_text()


def test_no_cell_shows_an_error(page):
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").count() == 0
    assert page.locator(".jp-mod-warning").count() == 0


def test_the_lab_answered_on_loopback_only(lab):
    base, token = lab
    with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as answer:
        assert answer.status == 200
