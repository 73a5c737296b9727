"""Build, serve and visit the site in the system Chromium.

Shared by the browser tests (tests/browser/) and the benchmark
(scripts/bench.py), so both see the site the same way:

* the site is built with `mkdocs build --strict`, the same build CI checks;
* it is served from 127.0.0.1 on a free port the way `mike` publishes it: the
  pages under a version folder, with `versions.json` beside that folder (the
  theme's version selector fetches it, and a plain `mkdocs build` has none);
* every page is opened in a fresh browser context, so each visit is a reader's
  first visit with an empty cache. Every request is recorded; any request that
  leaves the serving origin is aborted and reported.

Chromium is Debian's (`apt-get install chromium`). Playwright only drives it
and must never download a browser of its own.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402

from docs_tooling.paths import ROOT  # noqa: E402

# The page-weight budget (docs/maintainers/benchmarks.md): the bytes a first
# visit of any page may transfer, compressed as GitHub Pages serves them.
# The search index is not part of it: the theme override
# (src/docs_tooling/templates/theme/main.html) fetches it when the reader first
# reaches for search, and `make bench` reports its size on its own.
# tests/browser/test_site.py holds every page to the budget.
FIRST_VISIT_BUDGET_BYTES = 135 * 1000
# GitHub Pages sends text gzip-compressed to a browser that accepts it (every
# browser does), and images and fonts as they are; the test server does the
# same, at zlib's default level.
GZIP_TYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
        "text/plain",
        "application/xml",
        "text/xml",
    }
)
GZIP_LEVEL = 6
# The test server's header with a compressed response's size before compression.
RAW_LENGTH_HEADER = "X-Raw-Length"
CHROMIUM = os.environ.get("KCG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The folder and versions.json `mike deploy dev latest` would publish.
VERSION = "dev"
VERSIONS_JSON = [{"version": VERSION, "title": VERSION, "aliases": ["latest"]}]
# Fetched when the reader first reaches for search, not on a first visit.
SEARCH_INDEX = "search/search_index.json"
# The search worker's script: every page loads it when the theme's script has
# set up search, the last request of a first visit.
SEARCH_WORKER = "/assets/javascripts/workers/search."
# Script or request URLs that would mean a page pulls in a diagram renderer.
DIAGRAM_LIBRARIES = (
    "mermaid",
    "kroki",
    "plantuml",
    "graphviz",
    "viz.js",
    "d3.",
    "d3-",
    "flowchart",
    "nomnoml",
    "svgbob",
    "excalidraw",
    "drawio",
    "d2.",
)


class ChromiumMissing(RuntimeError):
    pass


def require_chromium() -> str:
    """The Chromium executable, or a plain error saying how to get it."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    if path is None:
        raise ChromiumMissing(
            f"Chromium not found at {CHROMIUM}: the browser tests and `make bench` need "
            "Debian's Chromium. Install it with `apt-get install -y chromium` (.ci/run does), "
            "or point KCG_CHROMIUM at a Chromium executable."
        )
    return path


def build_site(site_dir: Path, config: Path | None = None, strict: bool = True) -> None:
    """Run `mkdocs build` into `site_dir`; raise with mkdocs's output if it fails."""
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(site_dir)]
    if strict:
        command.append("--strict")
    if config is not None:
        command += ["--config-file", str(config)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{result.stdout}\n{result.stderr}")


def page_paths(site_dir: Path) -> list[str]:
    """Every page of the built site as a path below the site root ("" is home)."""
    pages = []
    for html in sorted(site_dir.rglob("index.html")):
        rel = html.parent.relative_to(site_dir).as_posix()
        pages.append("" if rel == "." else f"{rel}/")
    return pages


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def do_GET(self):
        if self.path.split("?")[0] == "/versions.json":
            body = json.dumps(VERSIONS_JSON).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        prefix = f"/{VERSION}/"
        if not (self.path + "/").startswith(prefix):
            self.send_error(404, "outside the published version")
            return
        self.path = "/" + self.path[len(prefix) :]
        if not self._send_gzipped():
            super().do_GET()

    def _send_gzipped(self) -> bool:
        """Send a text file gzip-compressed, as GitHub Pages does; False if it is not one."""
        path = Path(self.translate_path(self.path))
        if self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        content_type = self.guess_type(str(path))
        if (
            not path.is_file()
            or content_type not in GZIP_TYPES
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return False
        raw = path.read_bytes()
        body = gzip_bytes(raw)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header(RAW_LENGTH_HEADER, str(len(raw)))
        self.end_headers()
        self.wfile.write(body)
        return True


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


class SiteServer:
    """Serves `site_dir` at http://127.0.0.1:PORT/dev/ in a background thread."""

    def __init__(self, site_dir: Path):
        handler = functools.partial(_Handler, directory=str(site_dir))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_port}"
        self.base = f"{self.origin}/{VERSION}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)


@dataclass
class Request:
    url: str
    resource_type: str
    status: int | None = None
    body_bytes: int = 0  # as transferred: compressed, for text
    raw_bytes: int = 0  # before compression
    failure: str | None = None


@dataclass
class PageVisit:
    """What one first visit of one page did and showed."""

    path: str
    requests: list[Request] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    diagram_elements: int = 0
    code_blocks: list[dict] = field(default_factory=list)
    mouse_copy: dict | None = None
    late_requests: list[Request] = field(default_factory=list)

    @property
    def transferred_bytes(self) -> int:
        """Response bytes of the first load as transferred (text compressed, as
        GitHub Pages serves it), up to network idle: page, assets, search index."""
        return sum(r.body_bytes for r in self.requests)

    @property
    def raw_bytes(self) -> int:
        """The same responses before compression."""
        return sum(r.raw_bytes for r in self.requests)


# Runs in the page after load: images (forced to load if lazy), scripts, and
# elements a diagram renderer would pick up.
_INSPECT_JS = """async () => {
  const images = [];
  for (const img of document.querySelectorAll("img")) {
    img.loading = "eager";
    try { await img.decode(); } catch (e) {}
    images.push({src: img.currentSrc || img.src, naturalWidth: img.naturalWidth,
                 naturalHeight: img.naturalHeight});
  }
  return {
    images,
    scripts: [...document.scripts].map(s => s.src).filter(Boolean),
    diagramElements: document.querySelectorAll(
      ".mermaid, pre.mermaid, [class*=diagram-js], .kroki, .plantuml").length
      + (window.mermaid ? 1 : 0),
  };
}"""

# The theme sets up a code block (its copy button, its pre's id "__code_N")
# when the block first comes into view (content.lazy in mkdocs.yml), as a
# reader scrolls, opens a tab or opens a <details>. A check of every block
# first shows them all at once: every tab's content drawn, every <details>
# open (closed again after) and the viewport as tall as the page.
_SHOW_EVERY_TAB_CSS = ".tabbed-set > .tabbed-content > .tabbed-block { display: block !important; }"
_OPEN_EVERY_DETAILS_JS = """() => {
  const closed = [...document.querySelectorAll("details:not([open])")];
  closed.forEach(details => { details.open = true; });
  return closed;
}"""
_EVERY_BLOCK_SET_UP_JS = """() => [...document.querySelectorAll("pre > code")]
  .every(code => code.parentElement.id.startsWith("__code_"))"""
_BLOCKS_NOT_SET_UP_JS = """() => [...document.querySelectorAll("pre > code")]
  .filter(code => !code.parentElement.id.startsWith("__code_"))
  .map(code => (code.getClientRects().length ? "drawn: " : "not drawn: ") + code.textContent.slice(0, 60))"""


def set_up_every_code_block(page, timeout_ms: float = 10_000) -> None:
    """Bring every code block on `page` into view at once, so the theme sets each up.

    Raises:
        AssertionError: some block was still not set up after `timeout_ms`;
            the message lists them and whether each was drawn at all.
    """
    size = page.viewport_size
    style = page.add_style_tag(content=_SHOW_EVERY_TAB_CSS)
    opened = page.evaluate_handle(_OPEN_EVERY_DETAILS_JS)
    try:
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
        try:
            page.wait_for_function(_EVERY_BLOCK_SET_UP_JS, timeout=timeout_ms)
        except PlaywrightTimeoutError:
            missing = page.evaluate(_BLOCKS_NOT_SET_UP_JS)
            raise AssertionError(
                f"{page.url}: {len(missing)} code block(s) not set up by the theme "
                f"{timeout_ms / 1000:.0f} s after the whole page was in view: {missing}"
            ) from None
    finally:
        page.set_viewport_size(size)
        style.evaluate("style => style.remove()")
        opened.evaluate("opened => opened.forEach(details => { details.open = false; })")


# Clicks the copy button of every code block from `start` on and reads the
# clipboard after each, until the page's blocks are done or `budgetMs` have
# passed: Playwright's evaluate carries a user gesture, which Chromium lets
# expire after a few seconds, and the copy needs it. The caller calls again
# from `next` until every block is clicked, usually once per page.
_COPY_JS = """async ([start, budgetMs]) => {
  const began = performance.now();
  const codes = [...document.querySelectorAll("pre > code")];
  const buttons = [...document.querySelectorAll("button[data-md-type=copy][data-clipboard-target]")];
  const blocks = [];
  let index = start;
  for (; index < codes.length && (index === start || performance.now() - began < budgetMs); index++) {
    const code = codes[index];
    const button = buttons.find(b => document.querySelector(b.dataset.clipboardTarget) === code);
    const block = {id: code.parentElement.id || null, hasButton: !!button, copied: false};
    if (button) {
      await navigator.clipboard.writeText("\\u0000not copied");
      button.click();
      const text = await navigator.clipboard.readText();
      block.copied = text === code.textContent.trimEnd();
      if (!block.copied) block.got = text.slice(0, 80);
    }
    blocks.push(block);
  }
  return {blocks, next: index, count: codes.length};
}"""
# Well inside the gesture's lifetime, however slow the machine.
COPY_SLICE_MS = 1000


def copy_every_block(page) -> list[dict]:
    """Click every code block's copy button on `page`; what each copied, in page order."""
    set_up_every_code_block(page)
    blocks: list[dict] = []
    start = 0
    while True:
        part = page.evaluate(_COPY_JS, [start, COPY_SLICE_MS])
        blocks += part["blocks"]
        start = part["next"]
        if start >= part["count"]:
            return blocks


class _OpenPage:
    """A page whose first visit has started: context, listeners, records."""

    def __init__(self, browser, server: SiteServer, path: str):
        self.result = PageVisit(path=path)
        self.url = server.base + path
        self.by_request: dict[int, Request] = {}
        self.context = browser.new_context(
            permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1280, "height": 800}
        )
        self.context.route("**/*", lambda route, request: self._route(server, route, request))
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.result.console_errors.append(f"uncaught: {error}"))
        self.page.on("requestfinished", self._finished)
        self.page.on("requestfailed", self._failed)
        # Navigate without waiting, so several pages load at once.
        self.page.evaluate("url => { location.href = url; }", self.url)

    def _route(self, server, route, request):
        if request.url.startswith(server.origin + "/"):
            route.continue_()
        else:
            self.result.foreign.append(request.url)
            route.abort("blockedbyclient")

    def _console(self, message):
        if message.type == "error":
            self.result.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _entry(self, request) -> Request:
        return self.by_request.setdefault(id(request), Request(request.url, request.resource_type))

    def _finished(self, request):
        entry = self._entry(request)
        response = request.response()
        if response is not None:
            entry.status = response.status
            # The server sends Content-Length: the body as transferred
            # (compressed for text), and the size before compression in its own header.
            length = response.headers.get("content-length")
            entry.body_bytes = int(length) if length else 0
            raw = response.headers.get(RAW_LENGTH_HEADER.lower())
            entry.raw_bytes = int(raw) if raw else entry.body_bytes

    def _failed(self, request):
        self._entry(request).failure = request.failure

    def _wait_for_finished(self, part: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(part in r.url and (r.status or r.failure) for r in self.by_request.values()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.url}: no response for {part} in {timeout:.0f} s")
            self.page.wait_for_timeout(50)

    def finish(self, check_copy: bool) -> PageVisit:
        result = self.result
        try:
            self.page.wait_for_url(self.url, wait_until="load")
            # Network idle alone is not enough on a busy machine: the theme's
            # script can take longer than the idle window to set up search.
            # Wait for the search worker's script, then for idle.
            self._wait_for_finished(SEARCH_WORKER)
            self.page.wait_for_load_state("networkidle")
            result.requests = list(self.by_request.values())
            inspected = self.page.evaluate(_INSPECT_JS)
            result.images = inspected["images"]
            result.scripts = inspected["scripts"]
            result.diagram_elements = inspected["diagramElements"]
            if check_copy:
                self.page.bring_to_front()
                result.code_blocks = copy_every_block(self.page)
                result.mouse_copy = _mouse_copy(self.page)
                self.page.wait_for_load_state("networkidle")
                # Requests after the load (none expected) are still checked
                # for leaving the origin, but are not part of the first visit.
                late = [
                    r for key, r in self.by_request.items() if all(r is not seen for seen in result.requests)
                ]
                result.late_requests = late
        finally:
            self.context.close()
        return result


def visit_all(
    browser, server: SiteServer, paths: list[str], check_copy: bool = True, at_once: int = 3
) -> dict[str, PageVisit]:
    """First visits of `paths`, `at_once` pages loading concurrently.

    Each page gets its own context (empty cache and storage). With
    `check_copy`, every code block's copy button is clicked after the load.
    """
    visits = {}
    for start in range(0, len(paths), at_once):
        opened = [_OpenPage(browser, server, path) for path in paths[start : start + at_once]]
        for page in opened:
            visits[page.result.path] = page.finish(check_copy)
    return visits


def _mouse_copy(page) -> dict | None:
    """Click the first visible copy button with the mouse, as a reader would."""
    button = page.locator("article button[data-md-type=copy]").filter(visible=True).first
    if button.count() == 0:
        return None
    target = button.get_attribute("data-clipboard-target")
    expected = page.eval_on_selector(target, "code => code.textContent.trimEnd()")
    page.evaluate("navigator.clipboard.writeText('')")
    try:
        button.click(timeout=5000)
        page.wait_for_function(
            "expected => navigator.clipboard.readText().then(text => text === expected)",
            arg=expected,
            timeout=5000,
        )
    except PlaywrightTimeoutError:
        return {"target": target, "copied": False}
    return {"target": target, "copied": True}


def sandboxed_context(browser, server):
    """A fresh context (empty storage, clipboard allowed) whose requests outside the site fail."""
    context = browser.new_context(
        permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1280, "height": 800}
    )
    context.route(
        "**/*",
        lambda route, request: (
            route.continue_()
            if request.url.startswith(server.origin + "/")
            else route.abort("blockedbyclient")
        ),
    )
    return context
