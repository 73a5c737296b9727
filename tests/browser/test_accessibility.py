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


def test_no_page_has_an_axe_violation(audits):
    problems = [line for audit in audits for line in audit.describe()]
    assert not problems, f"{len(problems)} axe-core violation(s):\n" + "\n".join(problems)
