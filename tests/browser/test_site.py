"""The built site in headless Chromium, the way a reader uses it."""

from __future__ import annotations

import ast
from urllib.parse import urlsplit

import pytest

from docs_tooling.browser import axe, harness, links

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
            found.append(
                "" if stem == "index" else stem[: -len("index")] if stem.endswith("/index") else f"{stem}/"
            )
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
    problems = failures(
        visits,
        lambda v: [
            f"{r.url} -> {r.failure or r.status}"
            for r in v.requests + v.late_requests
            if r.url not in v.foreign and (r.failure or (r.status or 0) >= 400)
        ],
    )
    assert not problems, problems


def test_every_first_visit_fits_the_page_weight_budget(visits):
    # Bytes, unlike times, are the same on every machine for a given build,
    # so the page-weight budget `make bench` reports is also a fair test. The
    # bytes are counted as transferred: text gzip-compressed, as GitHub Pages
    # serves it (the test server does the same).
    assert visits, "no page was visited"
    over = {
        path or "(home)": f"{visit.transferred_bytes:,} compressed ({visit.raw_bytes:,} raw)"
        for path, visit in visits.items()
        if visit.transferred_bytes > harness.FIRST_VISIT_BUDGET_BYTES
    }
    assert not over, (
        f"first visits over {harness.FIRST_VISIT_BUDGET_BYTES:,} bytes compressed (page, assets "
        f"and search index; see docs/maintainers/benchmarks.md for what weighs what): {over}"
    )


def test_text_is_served_compressed(visits):
    """The budget counts compressed bytes only if the server really compresses."""
    visit = next(iter(visits.values()))
    text = [r for r in visit.requests if r.url.endswith((".html", "/", ".css", ".js", ".json"))]
    assert text and all(r.body_bytes < r.raw_bytes for r in text if r.raw_bytes > 1000), [
        (r.url, r.body_bytes, r.raw_bytes) for r in text
    ]


def test_no_page_logs_a_console_error(visits):
    problems = failures(visits, lambda v: v.console_errors)
    assert not problems, "console errors:\n" + problems


def test_every_code_block_has_a_working_copy_button(visits):
    problems = failures(
        visits,
        lambda v: [
            f"code block {b['id']}: "
            + ("no copy button" if not b["hasButton"] else f"copied {b.get('got')!r} instead of the code")
            for b in v.code_blocks
            if not (b["hasButton"] and b["copied"])
        ],
    )
    assert not problems, problems
    mouse = failures(
        visits,
        lambda v: (
            [f"mouse click on {v.mouse_copy['target']} copied nothing"]
            if v.mouse_copy and not v.mouse_copy["copied"]
            else []
        ),
    )
    assert not mouse, mouse
    assert sum(len(v.code_blocks) for v in visits.values()) > 0, "no code block found anywhere"


def test_every_image_loads(visits):
    problems = failures(
        visits,
        lambda v: [
            f"image {i['src']} did not load (naturalWidth 0)" for i in v.images if i["naturalWidth"] <= 0
        ],
    )
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
    header_background = page.eval_on_selector(".md-header", "el => getComputedStyle(el).backgroundColor")
    assert header_background not in ("rgba(0, 0, 0, 0)", "transparent")


def test_no_first_visit_downloads_the_search_index(visits):
    problems = failures(visits, lambda v: [r.url for r in v.requests if harness.SEARCH_INDEX in r.url])
    assert not problems, f"pages that fetched the search index before search was used:\n{problems}"


@pytest.mark.parametrize("reach", ["hover", "click", "shortcut"])
def test_reaching_for_search_downloads_the_index_once(page, server, reach):
    index_requests = []
    page.on("request", lambda r: index_requests.append(r.url) if harness.SEARCH_INDEX in r.url else None)
    page.goto(server.base + "guide/first-models/", wait_until="networkidle")
    assert index_requests == [], "the index was fetched before search was used"
    search = page.locator("label.md-search__icon, .md-search__input").first
    with page.expect_response(lambda response: harness.SEARCH_INDEX in response.url) as response:
        if reach == "hover":
            page.locator(".md-search").first.hover()
        elif reach == "click":
            search.click()
        else:
            page.keyboard.press("/")
    assert response.value.ok
    page.keyboard.press("Escape")
    page.locator(".md-search").first.hover()
    page.wait_for_load_state("networkidle")
    assert len(index_requests) == 1, index_requests


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


# Every change to <body>'s colour attributes and to the theme's colour-switch
# mark, in order, from before the page is parsed (templates/theme/main.html).
SWITCH_MARK = "data-md-color-switching"
RECORD_COLOUR_CHANGES = """
window.kcgColourChanges = [];
new MutationObserver(function (records) {
  records.forEach(function (record) {
    if (record.target !== document.body) return;
    window.kcgColourChanges.push([record.attributeName, record.oldValue,
                                  document.body.getAttribute(record.attributeName)]);
  });
}).observe(document, {
  subtree: true, attributes: true, attributeOldValue: true,
  attributeFilter: ["data-md-color-scheme", "data-md-color-primary", "data-md-color-accent",
                    "SWITCH_MARK"]
});
""".replace("SWITCH_MARK", SWITCH_MARK)


def colour_changes(page) -> list[list]:
    # The theme removes the mark on a later task; let it run.
    page.wait_for_timeout(300)
    return page.evaluate("window.kcgColourChanges")


def assert_switch_is_marked(changes: list[list], old: str, new: str) -> None:
    """The mark is set before the scheme changes from `old` to `new` and removed after."""
    scheme = ["data-md-color-scheme", old, new]
    assert scheme in changes, changes
    at = changes.index(scheme)
    assert [SWITCH_MARK, None, ""] in changes[:at], changes
    assert [SWITCH_MARK, "", None] in changes[at:], changes


def test_loading_a_page_restyles_nothing_for_the_colour_switch_mark(page, server):
    page.add_init_script(RECORD_COLOUR_CHANGES)
    page.goto(server.base + "guide/first-models/", wait_until="networkidle")
    changes = colour_changes(page)
    # The theme did apply its palette at load (the same colours again) ...
    assert ["data-md-color-scheme", "default", "default"] in changes, changes
    # ... without setting the mark, since no colour changed.
    assert not [c for c in changes if c[0] == SWITCH_MARK], changes


def test_switching_colours_is_marked_so_nothing_transitions(page, server):
    page.add_init_script(RECORD_COLOUR_CHANGES)
    page.goto(server.base + "guide/first-models/", wait_until="networkidle")
    page.get_by_title("Switch to dark mode").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert_switch_is_marked(colour_changes(page), "default", "slate")


def test_a_dark_system_scheme_at_load_is_marked_so_nothing_transitions(page, server):
    # The page is built light; on a system set to dark the theme switches it at load.
    page.emulate_media(color_scheme="dark")
    page.add_init_script(RECORD_COLOUR_CHANGES)
    page.goto(server.base + "guide/first-models/", wait_until="networkidle")
    assert_switch_is_marked(colour_changes(page), "default", "slate")


# The color-scheme <meta> the page carries and what the theme's palette asks
# for (the header's computed color-scheme), read together; and every insertion
# of such a <meta> and change to its content, from before the page is parsed.
# Each of those makes the browser restyle every element, so a page should
# insert one, with the right scheme, and change it only when the colours do.
RECORD_META_CHANGES = """
window.kcgMetaChanges = [];
new MutationObserver(function (records) {
  records.forEach(function (record) {
    if (record.type === "attributes" && record.target.name === "color-scheme") {
      window.kcgMetaChanges.push(["content", record.oldValue, record.target.content]);
    }
    record.addedNodes.forEach(function (node) {
      if (node.nodeName === "META" && node.name === "color-scheme") {
        window.kcgMetaChanges.push(["added", null, node.content]);
      }
    });
  });
}).observe(document, {subtree: true, childList: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ["content"]});
"""
COLOUR_SCHEME_STATE = """() => {
  const changes = window.kcgMetaChanges.splice(0);
  return {
    metas: [...document.querySelectorAll("meta[name=color-scheme]")].map(meta => meta.content),
    header: getComputedStyle(document.querySelector("header")).colorScheme,
    changes: changes,
  };
}"""


def colour_scheme_state(page) -> dict:
    """The <meta>s, the header's scheme, and the <meta> changes since the last call."""
    page.wait_for_timeout(300)
    return page.evaluate(COLOUR_SCHEME_STATE)


def loaded(scheme: str) -> dict:
    return {"metas": [scheme], "header": scheme, "changes": [["added", None, scheme]]}


def switched(old: str, new: str) -> dict:
    return {"metas": [new], "header": new, "changes": [["content", old, new]]}


def test_the_colour_scheme_meta_is_set_once_and_follows_the_palette(page, server):
    # templates/theme/main.html puts the <meta> in place before the page is
    # styled, with the scheme the theme's palette then applies.
    page.add_init_script(RECORD_META_CHANGES)
    page.goto(server.base + "guide/first-models/", wait_until="networkidle")
    assert colour_scheme_state(page) == loaded("light")
    page.get_by_title("Switch to dark mode").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert colour_scheme_state(page) == switched("light", "dark")
    # The stored choice is read before the next page is styled.
    page.goto(server.base + "guide/call-signatures/", wait_until="networkidle")
    assert colour_scheme_state(page) == loaded("dark")
    page.get_by_title("Switch to light mode").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
    assert colour_scheme_state(page) == switched("dark", "light")


def test_a_dark_system_scheme_gives_a_dark_colour_scheme_meta_at_once(page, server):
    page.emulate_media(color_scheme="dark")
    page.add_init_script(RECORD_META_CHANGES)
    page.goto(server.base + "guide/first-models/", wait_until="networkidle")
    assert colour_scheme_state(page) == loaded("dark")


# A long page whose last code block is far below the first screen.
LONG_PAGE = "guide/misconceptions/"
LAST_DRAWN_BLOCK = """
  const drawn = [...document.querySelectorAll("article pre > code")]
    .filter(code => code.getClientRects().length);
  const code = drawn[drawn.length - 1];
"""
LAST_BLOCK_STATE = (
    "() => {"
    + LAST_DRAWN_BLOCK
    + """
  const nav = code.parentElement.querySelector(".md-code__nav");
  return {
    below: code.getBoundingClientRect().top > 3 * innerHeight,
    setUp: code.parentElement.id.startsWith("__code_"),
    copyButton: !!code.parentElement.querySelector("button[data-md-type=copy]"),
    navRole: nav && nav.getAttribute("role"),
  };
}"""
)
LAST_BLOCK_SET_UP = "() => {" + LAST_DRAWN_BLOCK + 'return code.parentElement.id.startsWith("__code_"); }'


def test_a_code_block_is_set_up_when_it_comes_into_view(page, server):
    # content.lazy (mkdocs.yml): the theme's set-up of every block no longer
    # runs at load. The flag is not documented; if the theme stops reading it,
    # the first assertion fails.
    page.goto(server.base + LONG_PAGE, wait_until="networkidle")
    assert page.evaluate(LAST_BLOCK_STATE) == {
        "below": True,
        "setUp": False,
        "copyButton": False,
        "navRole": None,
    }
    page.locator("article pre > code:visible").last.scroll_into_view_if_needed()
    page.wait_for_function(LAST_BLOCK_SET_UP)
    state = page.evaluate(LAST_BLOCK_STATE)
    assert state["copyButton"] and state["navRole"] == "none", state


def test_on_a_phone_a_wide_code_block_stays_focusable_once_set_up(browser, server):
    # Where nothing hovers, the theme's set-up of a code block takes its
    # tabindex away; templates/theme/main.html gives it back to a block that
    # scrolls sideways, so a keyboard can still scroll it.
    context = browser.new_context(**axe.VIEWPORTS["mobile"])
    try:
        page = context.new_page()
        page.goto(server.base + LONG_PAGE, wait_until="networkidle")
        index = page.evaluate(
            """() => [...document.querySelectorAll("article pre > code")]
                 .map((code, index) => [code, index])
                 .filter(([code]) => code.getClientRects().length && code.scrollWidth > code.clientWidth
                                     && code.getBoundingClientRect().top > 2 * innerHeight)
                 .map(([, index]) => index).pop()"""
        )
        assert index is not None, f"{LONG_PAGE} has no wide code block below the first screens on a phone"
        block = page.locator("article pre > code").nth(index)
        assert block.get_attribute("tabindex") == "0"
        assert not block.evaluate("code => code.parentElement.id.startsWith('__code_')")
        block.scroll_into_view_if_needed()
        page.wait_for_function(
            "index => document.querySelectorAll('article pre > code')[index].parentElement.id", arg=index
        )
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert block.get_attribute("tabindex") == "0"
    finally:
        context.close()


def package_models() -> dict[str, list[str]]:
    """The Keras models of keras_call_guide.models that the package exports,
    with their public methods, read from the source (importing the package
    would import TensorFlow)."""
    package = harness.ROOT / "src" / "keras_call_guide"
    init = ast.parse((package / "__init__.py").read_text())
    exported = next(
        ast.literal_eval(node.value)
        for node in init.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
    )
    models = {}
    for node in ast.parse((package / "models.py").read_text()).body:
        if (
            isinstance(node, ast.ClassDef)
            and node.name in exported
            and any(ast.unparse(base) in ("keras.Model", "Model") for base in node.bases)
        ):
            models[node.name] = [
                f.name for f in node.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")
            ]
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
    insecure = [
        f"{r.page}: {r.url}" for r in result.external if r.tag == "a" and not r.url.startswith("https://")
    ]
    assert not insecure, "external links that are not https:\n" + "\n".join(insecure)
