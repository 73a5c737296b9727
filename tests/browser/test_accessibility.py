"""axe-core finds no accessibility violation on any page of the site, in the
light and the dark colour scheme, at a desktop and a phone viewport.

axe-core is the npm package pinned in package.json, installed into
node_modules/ by `make node-tools` and injected from that file: nothing is
fetched while the test runs (src/docs_tooling/browser/axe.py).
"""

from __future__ import annotations

import pytest

from docs_tooling.browser import axe, harness


@pytest.fixture(scope="module")
def audits(browser, server, site_dir) -> list[axe.Audit]:
    """Every built page (test_site.py checks that the nav's pages are among them)."""
    try:
        axe.require_axe()
    except axe.AxeMissing as error:
        pytest.fail(str(error), pytrace=False)
    return axe.audit_all(browser, server, harness.page_paths(site_dir))


def test_every_page_is_audited_in_both_schemes_and_viewports(audits, site_dir):
    done = {(a.path, a.scheme, a.viewport) for a in audits}
    wanted = {
        (path, scheme, viewport)
        for path in harness.page_paths(site_dir)
        for scheme in axe.SCHEMES
        for viewport in axe.VIEWPORTS
    }
    assert done == wanted


def test_each_audit_saw_the_scheme_it_asked_for(audits):
    # The scheme is set the way the toggle stores it; a wrong storage key
    # would leave every page in the light scheme and hide dark-only failures.
    wrong = [
        f"{a.path} {a.viewport}: asked {a.scheme}, shown {a.shown_scheme}"
        for a in audits
        if a.shown_scheme != a.scheme
    ]
    assert not wrong, wrong


def test_axe_saw_every_element_drawn(audits):
    # The backend-differences page's tables are drawn only near the screen
    # (.kcg-deferred in extra.css); axe must judge them drawn, as the reader sees them.
    undrawn = [
        f"{a.path or '(home)'} [{a.scheme}, {a.viewport}]: {a.undrawn} element(s)"
        for a in audits
        if a.undrawn != 0
    ]
    assert not undrawn, undrawn


def test_no_page_has_an_axe_violation(audits):
    problems = [line for audit in audits for line in audit.describe()]
    assert not problems, f"{len(problems)} axe-core violation(s):\n" + "\n".join(problems)


# A page with highlighted code, an admonition and backend tabs, and the home page.
SWITCH_SAMPLE = ("guide/backends/", "")
_COLOURS_JS = """() => [...document.querySelectorAll("*")].map(e => {
  const s = getComputedStyle(e);
  return [e.tagName, s.color, s.backgroundColor, s.borderTopColor, s.fill];
})"""


@pytest.mark.parametrize("viewport", list(axe.VIEWPORTS))
@pytest.mark.parametrize("path", SWITCH_SAMPLE)
def test_a_scheme_switched_to_shows_the_colours_of_a_page_loaded_in_it(browser, server, path, viewport):
    # audit_all loads each page once and reaches the second scheme by the
    # toggle; that is only as good as a page loaded in that scheme.
    first, *others = list(axe.SCHEMES)
    for scheme in others:
        seen = []
        for loaded_in in (scheme, first):
            context = browser.new_context(**axe.VIEWPORTS[viewport])
            context.add_init_script(axe.palette_script(loaded_in))
            page = context.new_page()
            page.goto(server.base + path, wait_until="load")
            axe.switch_scheme(page, scheme)
            seen.append(page.evaluate(_COLOURS_JS))
            context.close()
        where = f"{path or '(home)'} [{viewport}]"
        assert seen[0] == seen[1], f"{where}: {scheme} switched to differs from {scheme} loaded"
