"""Audit built pages with axe-core in Chromium, offline.

axe-core comes from the npm registry, pinned exactly in package.json and
package-lock.json at the repository root, and `make node-tools` installs it
into node_modules/ (git-ignored). Nothing is fetched at test time: the one
file axe.min.js is injected into each page with `add_script_tag(path=...)`.

Each page is audited in each colour scheme the site's toggle offers and at a
desktop and a phone viewport, several pages at a time. A page is loaded once
per viewport: in the first scheme (stored in localStorage under the key the
theme reads before it paints), then switched to the others by clicking the
header's toggle, as a reader does. The first scheme gets every rule; the
others the rules that look at colours (COLOUR_RULES), since a scheme changes
nothing else.

The theme sets up each code block (copy button included) when it first
comes into view; each page, once per viewport, first has every block brought
into view (harness.set_up_every_code_block), so the buttons are audited too.

The tables of the generated backend-differences page are left undrawn until
they come near the screen (`content-visibility: auto` on `.kcg-deferred`,
docs/assets/extra.css); axe would judge such a table from a page that has not
drawn it. Each audit first draws
everything (DRAW_EVERYTHING_CSS), as a reader sees each table once scrolled to
it, and reports how many elements were still left undrawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docs_tooling.browser import harness
from docs_tooling.paths import ROOT

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The palette entries of mkdocs.yml, as the toggle stores them (index, color).
SCHEMES = {
    "default": {
        "index": 0,
        "color": {
            "media": "(prefers-color-scheme: light)",
            "scheme": "default",
            "primary": "deep-orange",
            "accent": "indigo",
        },
    },
    "slate": {
        "index": 1,
        "color": {
            "media": "(prefers-color-scheme: dark)",
            "scheme": "slate",
            "primary": "deep-orange",
            "accent": "indigo",
        },
    },
}
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    # A common phone: the theme's mobile layout (drawer navigation, search as an overlay).
    "mobile": {
        "viewport": {"width": 375, "height": 667},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
# The rules whose outcome depends on colours alone. A colour scheme changes
# the palette's custom properties and nothing else, so in the second scheme
# only these need to run again (COLOUR_ONLY_SCHEMES).
COLOUR_RULES = ("color-contrast", "link-in-text-block")
COLOUR_ONLY_SCHEMES = ("slate",)
# Every element drawn, whether or not it is near the screen.
DRAW_EVERYTHING_CSS = "* { content-visibility: visible !important; }"
# What axe reports of each violation: rule, its help text and where. The
# theme's script has built the page by `load`; two frames later its resize
# observers (and templates/theme/main.html's) have run.
_RUN_AXE_JS = """async rules => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  const result = await axe.run(document, options);
  return {
    scheme: document.body.getAttribute("data-md-color-scheme"),
    undrawn: [...document.querySelectorAll("*")].filter(
      e => getComputedStyle(e).contentVisibility !== "visible").length,
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
    })),
  };
}"""


class AxeMissing(RuntimeError):
    pass


def require_axe() -> Path:
    if not AXE_JS.is_file():
        raise AxeMissing(
            f"{AXE_JS.relative_to(ROOT)} is missing: the accessibility test runs axe-core from the "
            "npm registry, pinned in package.json. Install it with `make node-tools` "
            "(`npm ci --omit=dev`)."
        )
    return AXE_JS


@dataclass
class Audit:
    """One page in one colour scheme at one viewport, as axe saw it."""

    path: str
    scheme: str
    viewport: str
    shown_scheme: str | None = None
    undrawn: int | None = None  # elements left to the browser to draw later: must be 0
    violations: list[dict] = field(default_factory=list)

    def describe(self) -> list[str]:
        where = f"{self.path or '(home)'} [{self.scheme}, {self.viewport}]"
        return [
            f"{where}: {v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(f"{n['target']} -> {n['summary']}" for n in v["nodes"][:3])
            + (f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else "")
            for v in self.violations
        ]


def palette_script(scheme: str) -> str:
    # The theme reads `<scope pathname>.__palette` in <head>, before painting;
    # the scope is the site root, the published version's folder.
    key = f"/{harness.VERSION}/.__palette"
    return f"localStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(SCHEMES[scheme]))});"


class _OpenAudit:
    """One page at one viewport, loaded once and audited in each scheme.

    The page loads in the first scheme (set in storage before it paints); each
    further scheme is reached as a reader reaches it, by clicking the header's
    toggle, which changes the palette's attributes on <body> and nothing else
    (test_accessibility.py checks that it shows the same colours as a page
    loaded in that scheme).
    """

    def __init__(self, browser, server: harness.SiteServer, audits: list[Audit]):
        self.audits = audits
        first = audits[0]
        self.context = browser.new_context(**VIEWPORTS[first.viewport])
        self.context.route(
            "**/*",
            lambda route, request: (
                route.continue_()
                if request.url.startswith(server.origin + "/")
                else route.abort("blockedbyclient")
            ),
        )
        self.context.add_init_script(palette_script(first.scheme))
        self.page = self.context.new_page()
        self.page.evaluate("url => { location.href = url; }", server.base + first.path)
        self.url = server.base + first.path

    def finish(self, axe_js: Path) -> list[Audit]:
        try:
            self.page.wait_for_url(self.url, wait_until="load")
            self.page.add_style_tag(content=DRAW_EVERYTHING_CSS)
            # Every code block set up, as a reader who scrolls the page sees them.
            harness.set_up_every_code_block(self.page)
            self.page.add_script_tag(path=str(axe_js))
            for number, audit in enumerate(self.audits):
                if number:
                    switch_scheme(self.page, audit.scheme)
                rules = list(COLOUR_RULES) if audit.scheme in COLOUR_ONLY_SCHEMES else None
                found = self.page.evaluate(_RUN_AXE_JS, rules)
                audit.shown_scheme = found["scheme"]
                audit.undrawn = found["undrawn"]
                audit.violations = found["violations"]
        finally:
            self.context.close()
        return self.audits


def switch_scheme(page, scheme: str) -> None:
    """Click the header's colour toggle until `scheme` is shown.

    The visible toggle is the label of the next scheme's radio input; with two
    schemes one click reaches the other.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown colour scheme {scheme!r}: expected one of {sorted(SCHEMES)}")
    for _ in range(len(SCHEMES)):
        if page.get_attribute("body", "data-md-color-scheme") == scheme:
            return
        page.locator("form[data-md-component=palette] label:visible").first.click()
        # No transition runs after the click today; if the theme adds one, axe
        # must read the colours it ends on, not those it fades through.
        page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")
    raise AssertionError(f"the colour toggle never showed the {scheme!r} scheme")


def audit_all(
    browser,
    server: harness.SiteServer,
    paths: list[str],
    schemes: tuple[str, ...] = tuple(SCHEMES),
    viewports: tuple[str, ...] = tuple(VIEWPORTS),
    at_once: int = 4,
) -> list[Audit]:
    """axe-core's violations on every page, scheme and viewport, `at_once` pages at a time.

    Each page is loaded once per viewport and audited in every scheme there.
    """
    axe_js = require_axe()
    todo = [[Audit(path, scheme, viewport) for scheme in schemes] for path in paths for viewport in viewports]
    done = []
    for start in range(0, len(todo), at_once):
        opened = [_OpenAudit(browser, server, audits) for audits in todo[start : start + at_once]]
        for page in opened:
            done += page.finish(axe_js)
    return done
