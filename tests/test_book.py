"""The series as a static website (`python3 run.py book`): built once per session from the stored outputs,
then opened in headless Chromium, served from this machine and straight from the folder (as from a USB
stick): every page loads with no console error and no request leaving the site, the maths is typeset,
every figure has loaded, and the navigation reaches every notebook."""

import functools
import http.server
import importlib.util
import json
import re
import sys
import threading
import time
from pathlib import Path

import pytest
from browser import artifact_path, free_port, launch_browser

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run", ROOT / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)

# Waits for MathJax (where a page has maths), then reports what a reader would see wrong.
INSPECT_PAGE = r"""async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
    const maths = [...document.querySelectorAll("span.math, div.math")];
    const prose = (document.querySelector("article") || document.body).cloneNode(true);
    prose.querySelectorAll("pre, code, .cell_output, mjx-container, script, style").forEach(e => e.remove());
    const text = prose.textContent;
    return {
        maths: maths.length,
        unrendered: maths.filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.slice(0, 80)),
        raw: (text.match(/\\\(|\\\[|\$\$|\$[^$\s][^$\n]{0,80}\$/g) || []).slice(0, 5),
        images: document.images.length,
        broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    };
}"""


def expected_pages():
    """The site's page for each walk-through, each lab's student notebook and the teacher guide."""
    pages = [f"notebooks/{path.stem}.html" for path in run.notebooks()]
    pages += [f"exercises/{path.stem}.html" for path in sorted((ROOT / "exercises").glob("*.ipynb"))]
    return [*pages, "notebooks/README.html"]


@pytest.fixture(scope="session")
def site():
    """Build the website once per session (incrementally, as `python3 run.py book` does)."""
    pytest.importorskip(
        "myst_nb", reason="the website builder is in the `book` extra: `python3 run.py test` installs it"
    )
    start = time.perf_counter()
    assert run.build_book(Path(sys.executable)) == 0, "the website did not build (Sphinx's warnings are above)"
    print(f"website built in {time.perf_counter() - start:.1f} s")
    return run.SITE


@pytest.fixture(scope="session")
def server(site):
    """The website served over HTTP on 127.0.0.1, as a web server would."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    with launch_browser() as browser:
        yield browser


def visit(browser, url, site_prefix):
    """Open `url`; return what went wrong on the page and what the page holds (INSPECT_PAGE)."""
    problems = []
    context = browser.new_context()
    page = context.new_page()

    def outside(route):
        problems.append(f"request outside the site: {route.request.url}")
        route.abort()

    context.route(lambda u: not u.startswith((site_prefix, "data:", "blob:")), outside)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text} {m.location}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        found = page.evaluate(INSPECT_PAGE)
        if found["unrendered"] or found["raw"]:
            problems.append(f"maths not typeset: {found['unrendered'][:3]} {found['raw']}")
        if found["broken"]:
            problems.append(f"figures that did not load: {found['broken'][:3]}")
        return problems, found, page
    except Exception:
        context.close()
        raise


def test_every_notebook_has_a_page_with_its_stored_figures(site):
    for page in expected_pages():
        assert (site / page).is_file(), f"{page} is missing from the website"
    for path in run.notebooks():
        notebook = json.loads(path.read_text())
        figures = sum(
            "image/png" in output.get("data", {}) for cell in notebook["cells"] for output in cell.get("outputs", [])
        )
        html = (site / "notebooks" / f"{path.stem}.html").read_text()
        assert len(re.findall(r"<img [^>]*src=\"\.\./_images/", html)) >= figures, path.name
        # A widget cannot run on a static page: its stored text stands in, not an empty widget view.
        assert "application/vnd.jupyter.widget-view+json" not in html, path.name
    assert not (site / "jupyter_execute").exists() and not (ROOT / "build" / "book-src" / "jupyter_execute").exists()


def test_the_labs_pages_give_no_solution_away(site):
    """The labs' pages are the student notebooks: otter-grader's solution markers must not be there."""
    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        html = (site / "exercises" / f"{path.stem}.html").read_text()
        assert not re.search(r"BEGIN SOLUTION|#\s*SOLUTION\b", html), f"{path.name} shows a solution"


def test_the_pages_ask_nothing_from_the_network(site):
    """No script, style sheet, image or frame is taken from another site (links to read elsewhere are fine)."""
    for page in site.rglob("*.html"):
        tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page.read_text())
        outside = [tag for tag in tags if re.search(r"""(?:src|href)=["'](?:https?:)?//""", tag)]
        assert not outside, f"{page.relative_to(site)} loads {outside[:2]}"
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert any((site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))


def test_every_page_loads_offline_with_maths_typeset_and_figures_loaded(site, server, browser):
    pages = sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if not {"_static", "_sources"} & set(path.relative_to(site).parts)
    )
    assert {"index.html", "search.html", *expected_pages()} <= set(pages)
    problems, maths = [], {}
    for name in pages:
        found_problems, found, page = visit(browser, server + name, server)
        problems += [f"{name}: {problem}" for problem in found_problems]
        maths[name] = found["maths"]
        if name == "notebooks/02_forward_propagation.html":
            page.set_viewport_size({"width": 1280, "height": 900})
            page.locator("span.math").first.scroll_into_view_if_needed()
            page.screenshot(path=artifact_path("book-02_forward_propagation.png"))
        page.context.close()
    assert not problems, "\n".join(problems)
    assert maths["notebooks/02_forward_propagation.html"] > 10 and maths["notebooks/03_backpropagation.html"] > 10


def test_the_navigation_reaches_every_notebook_from_the_front_page(site, server, browser):
    problems, _, page = visit(browser, server + "index.html", server)
    try:
        links = page.eval_on_selector_all(".bd-sidebar-primary nav a[href]", "links => links.map(a => a.href)")
        in_page = page.eval_on_selector_all("article a.reference.internal[href]", "links => links.map(a => a.href)")
    finally:
        page.context.close()
    assert not problems, problems
    reached = {link.split("#")[0] for link in links}
    for name in expected_pages():
        assert server + name in reached, f"the navigation does not reach {name}"
        assert server + name in {link.split("#")[0] for link in in_page}, f"the front page does not list {name}"


def test_the_site_works_from_its_folder_without_a_server(site, browser):
    """Opened from the files themselves (file://), as from a USB stick: maths, figures, no network."""
    for name in ("index.html", "notebooks/03_backpropagation.html"):
        problems, found, page = visit(browser, (site / name).as_uri(), site.as_uri())
        page.context.close()
        assert not problems, "\n".join(problems)
        assert found["images"] >= (1 if name == "index.html" else 0)
        assert name == "index.html" or found["maths"] > 10
