"""Session fixtures for the browser tests: one build, one server, one browser,
and one first visit of every page whose results all tests share.

Run with `make test-browser`. Set KCG_SITE_DIR to test an existing build
(the Makefile passes the one `make test-build` just made); otherwise the site
is built here with `mkdocs build --strict`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from docs_tooling.browser import harness


class _AnyTagLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without executing the Python tags some extensions use."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


@pytest.fixture(scope="session")
def mkdocs_config() -> dict:
    with open(harness.ROOT / "mkdocs.yml", encoding="utf-8") as f:
        return yaml.load(f, Loader=_AnyTagLoader)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    given = os.environ.get("KCG_SITE_DIR")
    if given:
        path = Path(given)
        if not (path / "index.html").is_file():
            pytest.fail(f"KCG_SITE_DIR={given} holds no built site", pytrace=False)
        return path
    path = tmp_path_factory.mktemp("site")
    harness.build_site(path)
    return path


@pytest.fixture(scope="session")
def server(site_dir):
    with harness.SiteServer(site_dir) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    missing = None
    try:
        harness.require_chromium()
    except harness.ChromiumMissing as error:
        missing = str(error)
    if missing:
        pytest.fail(missing, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = harness.launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def visits(browser, server, site_dir) -> dict[str, harness.PageVisit]:
    """A first visit of every page, copy buttons clicked, keyed by page path."""
    return harness.visit_all(browser, server, harness.page_paths(site_dir))


@pytest.fixture
def page(browser, server):
    """A fresh page in a fresh context (empty storage, clipboard allowed)."""
    context = harness.sandboxed_context(browser, server)
    yield context.new_page()
    context.close()
