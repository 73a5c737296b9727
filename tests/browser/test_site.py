"""The built site in headless Chromium, the way a reader uses it."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from docs_tooling.browser import harness, links

SEARCH_TERM = "training"
SEARCH_FIRST = ("guide/training-argument/", "The training argument")


def nav_pages(nav) -> list[str]:
    """The Markdown files listed in mkdocs.yml's nav, as built page paths."""
    found = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            found += nav_pages(value)
        elif isinstance(value, str) and value.endswith(".md"):
            stem = value[: -len(".md")]
            found.append("" if stem == "index" else
                          stem[: -len("index")] if stem.endswith("/index") else f"{stem}/")
    return found


def failures(visits, check) -> str:
    lines = [f"{path or '(home)'}: {item}" for path, visit in visits.items() for item in check(visit)]
    return "\n".join(lines)


def test_every_page_in_the_nav_is_built_and_visited(visits, mkdocs_config):
    missing = sorted(set(nav_pages(mkdocs_config["nav"])) - set(visits))
    assert not missing, f"nav pages not in the built site: {missing}"


def test_no_page_makes_a_request_outside_the_origin(visits):
    problems = failures(visits, lambda v: v.foreign)
    assert not problems, "requests that left the serving origin (blocked):\n" + problems


def test_every_request_succeeds(visits):
    problems = failures(visits, lambda v: [
        f"{r.url} -> {r.failure or r.status}" for r in v.requests + v.late_requests
        if r.url not in v.foreign and (r.failure or (r.status or 0) >= 400)])
    assert not problems, problems


def test_every_guide_page_first_visit_fits_the_page_weight_budget(visits):
    # Bytes, unlike times, are the same on every machine for a given build,
    # so the page-weight target `make bench` reports is also a fair test.
    guide = {path: visit for path, visit in visits.items() if path.startswith("guide/")}
    assert guide, "no guide page was visited"
    over = {path: visit.transferred_bytes for path, visit in guide.items()
            if visit.transferred_bytes > harness.GUIDE_PAGE_BUDGET_BYTES}
    assert not over, (
        f"first visits over {harness.GUIDE_PAGE_BUDGET_BYTES:,} bytes (page, assets and search index; "
        f"see docs/maintainers/benchmarks.md for what weighs what): {over}")


def test_no_page_logs_a_console_error(visits):
    problems = failures(visits, lambda v: v.console_errors)
    assert not problems, "console errors:\n" + problems


def test_every_code_block_has_a_working_copy_button(visits):
    problems = failures(visits, lambda v: [
        f"code block {b['id']}: " + ("no copy button" if not b["hasButton"]
                                     else f"copied {b.get('got')!r} instead of the code")
        for b in v.code_blocks if not (b["hasButton"] and b["copied"])])
    assert not problems, problems
    mouse = failures(visits, lambda v: [f"mouse click on {v.mouse_copy['target']} copied nothing"]
                     if v.mouse_copy and not v.mouse_copy["copied"] else [])
    assert not mouse, mouse
    assert sum(len(v.code_blocks) for v in visits.values()) > 0, "no code block found anywhere"


def test_every_image_loads(visits):
    problems = failures(visits, lambda v: [
        f"image {i['src']} did not load (naturalWidth 0)" for i in v.images if i["naturalWidth"] <= 0])
    assert not problems, problems


def test_no_page_loads_a_diagram_library(visits):
    def check(visit):
        urls = visit.scripts + [r.url for r in visit.requests if r.resource_type == "script"]
        found = sorted({u for u in urls if any(name in u.lower() for name in harness.DIAGRAM_LIBRARIES)})
        if visit.diagram_elements:
            found.append(f"{visit.diagram_elements} element(s) for a diagram renderer")
        return found
    problems = failures(visits, check)
    assert not problems, "diagrams must be static images; found:\n" + problems


def test_home_page_renders(page, server, mkdocs_config):
    page.goto(server.base, wait_until="networkidle")
    assert mkdocs_config["site_name"] in page.title()
    heading = page.locator("article h1")
    assert heading.is_visible()
    assert "call" in heading.inner_text()
    assert page.locator("nav.md-nav--primary").first.is_visible()
    assert page.locator("article p").count() >= 3
    # The theme's stylesheet applied: the header is painted, not transparent.
    header_background = page.eval_on_selector(
        ".md-header", "el => getComputedStyle(el).backgroundColor")
    assert header_background not in ("rgba(0, 0, 0, 0)", "transparent")


def test_search_offers_the_training_page_first(page, server):
    page.goto(server.base, wait_until="networkidle")
    search = page.locator("input[data-md-component=search-query]")
    search.click()
    # Typed key by key: the theme searches on key events, not on `input`.
    search.press_sequentially(SEARCH_TERM, delay=20)
    first = page.locator(".md-search-result__item a.md-search-result__link").first
    first.wait_for(state="visible", timeout=10_000)
    href = first.get_attribute("href")
    title = first.locator("h1").first.inner_text()
    path, expected_title = SEARCH_FIRST
    assert urlsplit(href).path == urlsplit(server.base + path).path, f"first result {href} ({title})"
    assert title.strip() == expected_title


def test_light_dark_toggle(page, server):
    page.goto(server.base + "guide/first-models/", wait_until="networkidle")

    def scheme():
        return page.evaluate("document.body.getAttribute('data-md-color-scheme')")

    def background():
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    assert scheme() == "default"
    light = background()
    page.get_by_title("Switch to dark mode").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert background() != light
    # The choice is remembered across pages.
    page.goto(server.base, wait_until="networkidle")
    assert scheme() == "slate"
    page.get_by_title("Switch to light mode").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
    assert background() == light


def package_models() -> dict[str, list[str]]:
    """The Keras models of keras_call_guide.models that the package exports,
    with their public methods, read from the source (importing the package
    would import TensorFlow)."""
    package = harness.ROOT / "src" / "keras_call_guide"
    init = ast.parse((package / "__init__.py").read_text())
    exported = next(ast.literal_eval(node.value) for node in init.body
                    if isinstance(node, ast.Assign) and any(
                        getattr(t, "id", None) == "__all__" for t in node.targets))
    models = {}
    for node in ast.parse((package / "models.py").read_text()).body:
        if (isinstance(node, ast.ClassDef) and node.name in exported
                and any(ast.unparse(base) in ("keras.Model", "Model") for base in node.bases)):
            models[node.name] = [f.name for f in node.body
                                 if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")]
    return models


def test_api_page_shows_every_model_with_its_methods(page, server):
    models = package_models()
    assert models, "no public model found in src/keras_call_guide"
    page.goto(server.base + "reference/models/", wait_until="networkidle")
    for name, methods in models.items():
        assert {"call", "get_config"} <= set(methods), f"{name} lacks call or get_config"
        heading = page.locator(f"[id='keras_call_guide.models.{name}']")
        assert heading.is_visible(), f"{name} not shown"
        assert name in heading.inner_text()
        for method in methods:
            entry = page.locator(f"[id='keras_call_guide.models.{name}.{method}']")
            assert entry.is_visible(), f"{name}.{method} not shown"
            assert method in entry.inner_text()


def test_every_link_and_anchor_resolves(site_dir, mkdocs_config):
    result = links.crawl(site_dir, mkdocs_config["site_url"])
    assert result.checked > 100, f"only {result.checked} links checked; is the site built?"
    assert not result.broken, "\n".join(result.broken)


def test_nothing_external_is_embedded(site_dir, mkdocs_config):
    """Links to other sites are for readers to follow; nothing external may be loaded.

    An `<a href>` to, say, an upstream pull request is fine (it is not checked:
    external checks are off). An image, script, stylesheet or frame from another
    origin would be fetched on page load, which the offline rule forbids.
    """
    result = links.crawl(site_dir, mkdocs_config["site_url"])
    embedded = [f"{r.page}: <{r.tag}> {r.url}" for r in result.external if r.tag != "a"]
    assert not embedded, "external resources embedded in pages:\n" + "\n".join(embedded)
    insecure = [f"{r.page}: {r.url}" for r in result.external if r.tag == "a" and not r.url.startswith("https://")]
    assert not insecure, "external links that are not https:\n" + "\n".join(insecure)


# --- The pruned stylesheets change nothing a reader sees ---------------------

# tools/mkdocs_css_prune.py rewrites the theme's and plugins' stylesheets;
# these tests load pages with them and with the installed originals and
# compare what the browser computes. The pages cover the kinds of content the
# site has: the home page, code blocks, the migration page's wide table,
# mkdocstrings' API layout, right-aligned figure tables, and the 404 page
# (which links its assets from the site root). About a minute and a half on
# two busy cores, most of it the migration page's 7,500 elements.
STYLE_PAGES = ["", "guide/first-models/", "migration/keras2-vs-keras3/", "reference/models/",
               "maintainers/benchmarks/", "404.html"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}
CODE_PAGE = "guide/first-models/"
OWN_STYLESHEETS = {"assets/extra.css"}

# Runs in the page: the computed style of every element and of its ::before,
# ::after (and ::marker of list items, ::placeholder of inputs), each style
# as one string of every standard property's value, deduplicated into a
# table so a page of a few thousand elements transfers in a few megabytes.
# Both loads are compared at rest: running animations and transitions are
# brought to their end (or to their start, if they never end), and the
# snapshot starts after `settle` ms, for the transitions getAnimations() does
# not return (those of ::placeholder). It is started in both pages before
# either is read, so the two compute at the same time.
_START_STYLE_SNAPSHOT_JS = r"""settle => { window.__kcgStyles = new Promise(resolve => setTimeout(() => resolve((() => {
  for (const animation of document.getAnimations()) {
    try { animation.finish(); } catch (e) { animation.pause(); animation.currentTime = 0; }
  }
  const names = [...getComputedStyle(document.documentElement)]
    .filter(name => !name.startsWith("--")).sort();
  const index = new Map(), table = [];
  const id = text => {
    let found = index.get(text);
    if (found === undefined) { found = table.length; index.set(text, found); table.push(text); }
    return found;
  };
  const read = style => id(names.map(name => style.getPropertyValue(name)).join("\u0001"));
  const describe = element => {
    const parts = [];
    for (let e = element; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += "#" + e.id;
      if (e.classList.length) part += "." + [...e.classList].join(".");
      const siblings = e.parentElement ? [...e.parentElement.children] : [e];
      part += `:nth-child(${siblings.indexOf(e) + 1})`;
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const elements = [];
  for (const element of document.querySelectorAll("*")) {
    const style = getComputedStyle(element);
    const row = {element: describe(element), "": read(style)};
    for (const pseudo of ["::before", "::after"]) {
      const pseudoStyle = getComputedStyle(element, pseudo);
      const content = pseudoStyle.getPropertyValue("content");
      // Without content the pseudo-element is not rendered: nothing else of it shows.
      row[pseudo] = content === "none" || content === "normal" ? id("content: " + content) : read(pseudoStyle);
    }
    if (style.display.includes("list-item")) row["::marker"] = read(getComputedStyle(element, "::marker"));
    if (element.matches("input, textarea")) row["::placeholder"] = read(getComputedStyle(element, "::placeholder"));
    elements.push(row);
  }
  return {names, table, elements};
})()), settle)); }"""
SETTLE_MS = 500
# Each loaded stylesheet, as a site path, with its number of rules.
_RULE_COUNTS_JS = r"""() => [...document.styleSheets].filter(sheet => sheet.href).map(sheet => [
  new URL(sheet.href).pathname.replace(/^\/[^/]+\/(?=assets\/)|^\//, ""), sheet.cssRules.length])"""


def original_stylesheets(site_dir) -> dict[str, bytes]:
    """The theme's and plugins' stylesheets the pages link, as the installed
    packages ship them (site path -> bytes)."""
    material = Path(importlib.util.find_spec("material").submodule_search_locations[0])
    handler = Path(importlib.util.find_spec("mkdocstrings_handlers.python").submodule_search_locations[0])
    theme_sheets = material / "templates" / "assets" / "stylesheets"
    # The pruned files are named by their new content; the originals by the theme.
    sources = {
        r"assets/stylesheets/main\.[0-9a-f]{8}\.min\.css": next(theme_sheets.glob("main.*.min.css")),
        r"assets/stylesheets/palette\.[0-9a-f]{8}\.min\.css": next(theme_sheets.glob("palette.*.min.css")),
        r"assets/_mkdocstrings\.[0-9a-f]{8}\.css": handler / "templates" / "material" / "style.css",
    }
    linked = links.link_hrefs((site_dir / "index.html").read_text(encoding="utf-8"), "stylesheet")
    assert linked, "the home page links no stylesheet"
    originals = {}
    for href in linked:
        if href in OWN_STYLESHEETS:
            continue
        source = next((path for pattern, path in sources.items() if re.fullmatch(pattern, href)), None)
        assert source is not None and source.is_file(), f"no installed original for {href}"
        originals[href] = source.read_bytes()
    main = next(href for href in originals if href.startswith("assets/stylesheets/main."))
    assert (site_dir / main).read_bytes() != originals[main], f"{main} is not pruned: the hook did not run"
    return originals


class StyleComparison:
    """The same page open twice, side by side: once with the stylesheets the
    site serves (pruned), once with the installed originals served in their
    place. Every action is done to both; `check` compares what they show."""

    def __init__(self, browser, server, site_dir, originals, path, viewport):
        self.path, self.viewport = path, viewport
        self.pages = {}
        for label in ("pruned", "original"):
            context = browser.new_context(viewport=VIEWPORTS[viewport])
            context.route("**/*", functools.partial(self._route, server, site_dir,
                                                    originals if label == "original" else {}, originals))
            self.pages[label] = context.new_page()
        for page in self.pages.values():
            page.goto(server.base + path, wait_until="networkidle")
        # Both loads must be styled, and by different sheets: otherwise the
        # comparison below would pass without comparing anything.
        rules = {label: dict(page.evaluate(_RULE_COUNTS_JS)) for label, page in self.pages.items()}
        for label, counts in rules.items():
            missing = sorted(set(originals) - set(counts))
            assert not missing, f"{path or '(home)'} ({label}): stylesheets not applied: {missing}"
        main = next(href for href in originals if href.startswith("assets/stylesheets/main."))
        assert rules["pruned"][main] < rules["original"][main], (
            f"{path or '(home)'}: {main} has {rules['pruned'][main]} rules pruned and "
            f"{rules['original'][main]} as installed; the originals were not served")

    @staticmethod
    def _route(server, site_dir, replacements, stylesheets, route, request):
        if not request.url.startswith(server.origin + "/"):
            route.abort("blockedbyclient")
            return
        path = urlsplit(request.url).path
        published = f"/{harness.VERSION}/"
        relative = path[len(published):] if path.startswith(published) else path.lstrip("/")
        if relative in replacements:
            route.fulfill(status=200, content_type="text/css", body=replacements[relative])
        elif relative in stylesheets or not (path.startswith(published) or path == "/versions.json"):
            # The 404 page links its assets from the site root, where the
            # published site (not the version folder this server stands in
            # for) serves them; served from the build so that page is styled.
            file = site_dir / relative
            if file.is_file():
                route.fulfill(path=file)
            else:
                route.continue_()
        else:
            route.continue_()

    def do(self, action) -> None:
        for page in self.pages.values():
            action(page)

    def check(self, state: str) -> None:
        for page in self.pages.values():
            page.evaluate(_START_STYLE_SNAPSHOT_JS, SETTLE_MS)
        snapshots = {label: page.evaluate("() => window.__kcgStyles") for label, page in self.pages.items()}
        where = f"{self.path or '(home)'} at {self.viewport} width, {state}"
        difference = first_style_difference(snapshots["pruned"], snapshots["original"])
        assert difference is None, f"{where}: pruned stylesheets differ from the originals: {difference}"

    def close(self) -> None:
        for page in self.pages.values():
            if not page.is_closed():
                page.context.close()


def first_style_difference(pruned, original) -> str | None:
    if pruned["names"] != original["names"]:
        return "the browser reports different property lists"
    names = pruned["names"]
    elements = zip(pruned["elements"], original["elements"], strict=False)
    for position, (mine, theirs) in enumerate(elements):
        if mine["element"] != theirs["element"]:
            return (f"element {position} is {mine['element']} with the pruned stylesheets, "
                    f"{theirs['element']} with the originals")
        for pseudo in sorted((set(mine) | set(theirs)) - {"element"}):
            if (pseudo in mine) != (pseudo in theirs):
                return (f"{mine['element']}{pseudo} is compared only with "
                        f"{'the pruned stylesheets' if pseudo in mine else 'the originals'}")
            ours, shipped = pruned["table"][mine[pseudo]], original["table"][theirs[pseudo]]
            if ours == shipped:
                continue
            if "\u0001" not in ours or "\u0001" not in shipped:
                return f"{mine['element']}{pseudo}: {ours[:120]!r} instead of {shipped[:120]!r}"
            for name, value, expected in zip(names, ours.split("\u0001"), shipped.split("\u0001"), strict=True):
                if value != expected:
                    return f"{mine['element']}{pseudo} {name}: {value!r} instead of {expected!r}"
    if len(pruned["elements"]) != len(original["elements"]):
        return f"{len(pruned['elements'])} elements instead of {len(original['elements'])}"
    return None


def _switch_to_dark(page):
    page.evaluate("document.querySelector('label[title=\"Switch to dark mode\"]').click()")
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'"
                           " && !document.body.hasAttribute('data-md-color-switching')")


@pytest.fixture
def compare_styles(browser, server, site_dir):
    originals = original_stylesheets(site_dir)
    opened = []

    def open_page(path, viewport):
        comparison = StyleComparison(browser, server, site_dir, originals, path, viewport)
        opened.append(comparison)
        return comparison

    yield open_page
    for comparison in opened:
        comparison.close()


@pytest.mark.parametrize("path", STYLE_PAGES)
def test_pruned_stylesheets_change_no_computed_style(compare_styles, path):
    """Every element of the page, with ::before and ::after (and ::marker,
    ::placeholder where they apply), has the same computed value of every
    standard CSS property with the pruned stylesheets as with the installed
    originals, in the default and the slate scheme, at desktop and at mobile
    width. Custom properties (`--*`) are left out: they are not shown, only
    read, and every property that reads one is compared with its resolved
    value; the pruner removes exactly the custom properties nothing reads.
    """
    for viewport in VIEWPORTS:
        comparison = compare_styles(path, viewport)
        comparison.check("default scheme")
        comparison.do(_switch_to_dark)
        comparison.check("slate scheme")
        comparison.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pruned_stylesheets_change_nothing_in_search_results(compare_styles, viewport):
    comparison = compare_styles("", viewport)

    def search(page):
        if viewport == "mobile":
            page.locator("label.md-header__button[for=__search]").click()
        query = page.locator("input[data-md-component=search-query]")
        query.click()
        query.press_sequentially(SEARCH_TERM, delay=20)
        page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=10_000)
        page.wait_for_load_state("networkidle")

    comparison.do(search)
    comparison.check(f"search open with results for {SEARCH_TERM!r}")


def test_pruned_stylesheets_change_nothing_on_the_copy_button(compare_styles):
    comparison = compare_styles(CODE_PAGE, "desktop")
    # At rest first: a button the pruned stylesheets leave unstyled (and
    # invisible) is then reported as such, not as a timeout of the hover.
    comparison.check("at rest")
    button = "article button[data-md-type=copy] >> nth=0"
    comparison.do(lambda page: page.hover(button, timeout=5000))
    comparison.check("first copy button hovered")
    comparison.do(lambda page: page.focus(button, timeout=5000))
    comparison.check("first copy button hovered and focused")


def test_pruned_stylesheets_change_nothing_in_the_mobile_drawer(compare_styles):
    comparison = compare_styles(CODE_PAGE, "mobile")

    def open_drawer(page):
        page.locator("label.md-header__button[for=__drawer]").click()
        page.wait_for_function("document.getElementById('__drawer').checked")

    comparison.do(open_drawer)
    comparison.check("navigation drawer open")
    comparison.do(_switch_to_dark)
    comparison.check("navigation drawer open, slate scheme")
