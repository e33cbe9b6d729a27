"""Open the built book in headless Chromium: maths, figures and exercises render, offline.

For every page of ``_toc.yml`` the built HTML (``_build/html``) is served from a local
HTTP server on 127.0.0.1 and loaded by Chromium, which runs the page's JavaScript and
dumps the resulting DOM. The test then checks that

* every maths element was typeset by MathJax (an ``mjx-container`` inside it, no
  ``mjx-merror``, no raw ``$$`` left in the text), MathJax being served by the site;
* the figures of the notebook (its stored PNG/SVG outputs) are on the page as local
  images, and the server delivered them;
* every ``{exercise}`` and ``{solution}`` directive of the source became a box, each
  solution dropdown and each hidden solution cell is collapsed;
* the page requested nothing from any host but 127.0.0.1 (Chromium's net log; Chromium's
  own background traffic, which no page triggers, is told apart by its network
  isolation key), and nothing it requested was missing (no 404).

A screenshot of each page is saved in ``_build/screenshots/`` (kept by CI as an artifact).

It runs after the book build (``make browser``, part of ``make test``), or when named on
the command line (``pytest tests/test_browser.py``). Inside a plain ``pytest tests`` run,
which comes before the build in ``make test``, it is skipped with that reason. Without
Chromium (``apt-get install chromium``) or without a built book it is skipped, visibly
(``-ra``), never passed.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
THIS = Path(__file__).resolve()
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
    # Nothing leaves the machine: every host but the local server fails to resolve
    # (the attempt is still in the net log, and fails the test).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--virtual-time-budget=10000",
]


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")


def _toc_docs() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    docs = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file"):
                    docs.append(str(Path(value).with_suffix("")))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(toc)
    return docs


DOCS = _toc_docs()


# --------------------------------------------------------------------------- gating
@pytest.fixture(scope="module", autouse=True)
def _requirements(request):
    args = [a.split("::")[0] for a in request.config.args]
    named = any(Path(a).resolve() == THIS for a in args if a.endswith(".py"))
    if not named:
        pytest.skip("the browser check runs after the book build: `make browser` "
                    "(or `pytest tests/test_browser.py`)")
    if _chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): "
                    "the browser check did NOT run")
    if not (HTML / "index.html").exists():
        pytest.skip("the book is not built (_build/html/index.html missing): run `make book`")


# --------------------------------------------------------------------------- local server
class _Server:
    """Serves a folder on 127.0.0.1 and records (path, status) of every request."""

    def __init__(self, folder: Path):
        self.log: list[tuple[str, int]] = []
        log = self.log

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_request(self, code="-", size="-"):
                log.append((urlsplit(self.path).path, int(code) if str(code).isdigit() else 0))

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = _Server(HTML)
    yield s
    s.close()


# --------------------------------------------------------------------------- chromium
def _page_requests(netlog: Path, local_site: str) -> list[str]:
    """URLs the page (not Chromium itself) asked for, from a Chromium net log."""
    data = json.loads(netlog.read_text(errors="replace") or "{}")
    types = {v: k for k, v in data.get("constants", {}).get("logEventTypes", {}).items()}
    urls = []
    for event in data.get("events", []):
        if types.get(event.get("type")) != "URL_REQUEST_START_JOB":
            continue
        params = event.get("params") or {}
        isolation = params.get("network_isolation_key", "")
        initiator = params.get("initiator", "")
        if isolation.startswith(local_site) or initiator.startswith(local_site):
            urls.append(params.get("url", ""))
    return urls


def _load(url: str, screenshot: Path | None = None, window=(1280, 2400)):
    """Load ``url`` in headless Chromium: (DOM after scripts ran, URLs the page requested)."""
    with tempfile.TemporaryDirectory() as profile:
        netlog = Path(profile) / "netlog.json"
        cmd = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}/user",
               f"--window-size={window[0]},{window[1]}", f"--log-net-log={netlog}",
               "--dump-dom"]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            cmd.append(f"--screenshot={screenshot}")
        cmd.append(url)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}"
        parts = urlsplit(url)
        requests = _page_requests(netlog, f"{parts.scheme}://{parts.hostname}")
    return proc.stdout, requests


def _soup(html: str):
    from bs4 import BeautifulSoup
    return BeautifulSoup(html, "html.parser")


# --------------------------------------------------------------------------- the source
def _source(doc: str) -> tuple[str, list]:
    """(markdown text, list of figure outputs) of a page's source file."""
    md = ROOT / f"{doc}.md"
    if md.exists():
        return md.read_text(), []
    nb = nbformat.read(ROOT / f"{doc}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    figures = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type != "code" or tags & {"remove-output", "remove-cell"}:
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                figures.append(cell.execution_count)
    return text, figures


def _directives(text: str, name: str) -> int:
    return len(re.findall(r"^\s*(?:`{3,}|:{3,})\{" + name + r"\}", text, re.M))


# --------------------------------------------------------------------------- the tests
def test_remote_request_detector_works(server, tmp_path):
    """The net-log check is not vacuous: a page loading a CDN script is caught."""
    page = tmp_path / "remote.html"
    page.write_text('<html><body><p>x</p>'
                    '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js">'
                    '</script></body></html>')
    control = _Server(tmp_path)
    try:
        _, requests = _load(f"{control.base}/remote.html", window=(400, 300))
    finally:
        control.close()
    assert any("cdn.jsdelivr.net" in u for u in requests), requests


@pytest.mark.parametrize("doc", DOCS)
def test_page_renders_offline(doc, server):
    page = HTML / f"{doc}.html"
    assert page.exists(), f"{doc} is in _toc.yml but {page} was not built"
    static = _soup(page.read_text())
    server.log.clear()
    shot = SHOTS / f"{doc.replace('/', '__')}.png"
    dom_html, requests = _load(f"{server.base}/{doc}.html", screenshot=shot)
    dom = _soup(dom_html)
    text, figures = _source(doc)

    # --- no remote host, nothing missing
    remote = sorted({u for u in requests if urlsplit(u).hostname not in LOCAL_HOSTS
                     and urlsplit(u).scheme in ("http", "https", "ws", "wss")})
    assert not remote, f"{doc} requested remote hosts: {remote}"
    missing = sorted({p for p, code in server.log if code >= 400 and p != "/favicon.ico"})
    assert not missing, f"{doc}: the server did not have {missing}"

    # --- maths: every maths element typeset by the locally served MathJax
    n_math = len(static.select(".math"))
    has_math_source = bool(re.search(r"\$[^$\n]+\$|\{math\}|\\\[|\\\(", text))
    if has_math_source:
        assert n_math > 0, f"{doc}: its source has maths but the page has no maths element"
    if n_math:
        assert any(p.startswith("/_static/mathjax/") and code == 200 for p, code in server.log), (
            f"{doc}: MathJax was not loaded from the site")
        untypeset = [m.get_text()[:60] for m in dom.select(".math")
                     if m.find("mjx-container") is None]
        assert not untypeset, f"{doc}: maths not rendered by MathJax: {untypeset[:5]}"
        errors = [e.get_text()[:80] for e in dom.select("mjx-merror")]
        assert not errors, f"{doc}: MathJax errors (bad TeX): {errors}"
    article = dom.select_one("article") or dom
    for junk in article.select("pre, code, script, style"):
        junk.decompose()
    visible = article.get_text()
    assert "$$" not in visible, f"{doc}: raw $$ left in the page"
    raw_tex = re.findall(r"\$[^$\n]*[\\^_{}][^$\n]*\$", visible)
    assert not raw_tex, f"{doc}: TeX left raw (not rendered as maths): {raw_tex[:3]}"

    # --- figures: the notebook's image outputs are on the page, served locally
    images = [img for img in dom.select("img")
              if "_images/" in img.get("src", "") or img.get("src", "").startswith("data:")]
    assert len(images) >= len(figures), (
        f"{doc}: {len(figures)} figures in the notebook, {len(images)} on the page")
    served = {p for p, code in server.log if code == 200}
    for img in images:
        src = img["src"]
        if not src.startswith("data:"):
            assert any(p.endswith(src.split("/_images/")[-1]) for p in served), (
                f"{doc}: image {src} was not served")

    # --- exercises: every directive is a box; solutions start collapsed
    n_ex = _directives(text, "exercise") + _directives(text, "exercise-start")
    n_sol = _directives(text, "solution") + _directives(text, "solution-start")
    assert len(dom.select("div.exercise")) == n_ex, f"{doc}: exercise boxes missing"
    solutions = dom.select("div.solution")
    assert len(solutions) == n_sol, f"{doc}: solution boxes missing"
    for sol in solutions:
        if "dropdown" in sol.get("class", []):
            assert "toggle-hidden" in sol.get("class", []), (
                f"{doc}: a solution dropdown is open (togglebutton's script did not run)")
    for cell in dom.select(".tag_solution"):
        details = cell.find("details")
        assert details is not None and not details.has_attr("open"), (
            f"{doc}: a solution cell's code is shown; tag it hide-input")

    # --- a screenshot for people (CI keeps it)
    assert shot.exists() and shot.stat().st_size > 10_000, f"{doc}: no screenshot"


# --------------------------------------------------------------------------- learner edition
CHAPTERS = sorted(d for d in DOCS if d.startswith("book/") and (ROOT / f"{d}.ipynb").exists())


@pytest.mark.parametrize("doc", CHAPTERS)
def test_buttons_open_the_learner_edition(doc):
    """Binder, Colab and the .ipynb download open learner/NAME.ipynb (book/_ext), and the
    note under the title says so and links the solved notebook."""
    name = Path(doc).name + ".ipynb"
    page = _soup((HTML / f"{doc}.html").read_text())
    links = [a.get("href", "") for a in page.select("a")]
    binder = [u for u in links if u.startswith("https://mybinder.org/")]
    colab = [u for u in links if u.startswith("https://colab.research.google.com/")]
    assert binder and all(u.endswith(f"lab/tree/learner/{name}") for u in binder), binder
    assert colab and all(u.endswith(f"/blob/main/learner/{name}") for u in colab), colab
    downloads = [u for u in links if u.endswith(".ipynb") and not u.startswith("http")]
    assert downloads == [f"../_learner/{name}"], downloads
    copied = HTML / "_learner" / name
    assert copied.read_bytes() == (ROOT / "learner" / name).read_bytes(), (
        f"{copied} is not the committed learner edition")
    note = page.select_one("div.edition-note")
    assert note is not None, f"{doc}: no edition note under the title"
    assert note.find_previous("h1") is not None and page.select("h1")[0].find_next(
        "div", class_="edition-note") is note, "the edition note is not right under the title"
    hrefs = [a["href"] for a in note.select("a")]
    assert any(h.endswith(f"/learner/{name}") for h in hrefs), hrefs
    assert any(h.endswith(f"/book/{name}") for h in hrefs), hrefs


@pytest.mark.parametrize("chapter", ["03_mlp"])
def test_learner_notebook_renders_without_myst_in_plain_nbconvert(chapter, tmp_path):
    """The learner notebook through plain nbconvert (as JupyterLab or Colab would show its
    Markdown), opened in Chromium: no MyST syntax in the visible text. Screenshot kept."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(ROOT / "learner" / f"{chapter}.ipynb", as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    (tmp_path / "page.html").write_text(body)
    local = _Server(tmp_path)
    shot = SHOTS / f"learner__{chapter}.png"
    try:
        dom_html, _ = _load(f"{local.base}/page.html", screenshot=shot)
    finally:
        local.close()
    dom = _soup(dom_html)
    for junk in dom.select("script, style, pre, code"):
        junk.decompose()
    visible = dom.get_text()
    assert "perceptron" in visible.lower(), "the notebook's text is not on the page"
    for myst in ["{admonition}", "{doc}", "{cite}", "(eq-", "{exercise", "{solution",
                 "{ref}", "{numref}", "{math}", ":class:", ":::"]:
        assert myst not in visible, f"{chapter}: MyST syntax {myst!r} on the rendered page"
    assert shot.exists() and shot.stat().st_size > 10_000, f"{chapter}: no screenshot"
