"""Every page links to its own Markdown in the repository ("view source").

The link comes from the theme override
src/docs_tooling/templates/theme/partials/actions.html. It must point at the
repository the footer links to (mkdocs.yml's `extra.social`), at the ref the
site was built from (KCG_SOURCE_REF, which `make publish` sets to the commit
it publishes; main otherwise), and name the Markdown file the page was built
from, a file the repository holds. The first test reads the built HTML
only; the second looks at the link in Chromium.
"""

from __future__ import annotations

import os
import subprocess
from html.parser import HTMLParser

import pytest

from docs_tooling.browser import harness

MOBILE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


class _Links(HTMLParser):
    """Every <a href>, with whether it sits inside the page's <article>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.article_depth = 0
        self.links: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.article_depth += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append((href, self.article_depth > 0))

    def handle_endtag(self, tag):
        if tag == "article":
            self.article_depth -= 1


def repository(mkdocs_config) -> str:
    (link,) = [
        s["link"] for s in mkdocs_config["extra"]["social"] if s["link"].startswith("https://github.com/")
    ]
    return link


def markdown_in_repository() -> set[str]:
    """The files under docs/ that are or will be committed: tracked, or new and not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "docs"],
        cwd=harness.ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.split("\0")
    return {name for name in listed if name.endswith(".md") and (harness.ROOT / name).is_file()}


def source_of(page: str, markdown: set[str]) -> list[str]:
    """The Markdown files a page at `page` ("" is home, else "a/b/") can be built from."""
    stem = page.rstrip("/")
    candidates = ["docs/index.md"] if not stem else [f"docs/{stem}.md", f"docs/{stem}/index.md"]
    return [c for c in candidates if c in markdown]


def expected_link(mkdocs_config, path: str) -> str:
    return f"{repository(mkdocs_config)}/blob/{os.environ.get('KCG_SOURCE_REF', 'main')}/{path}"


def test_every_page_links_to_its_markdown(site_dir, mkdocs_config):
    markdown = markdown_in_repository()
    pages = harness.page_paths(site_dir)
    assert len(pages) >= 40, f"only {len(pages)} pages built"
    docs_prefix = f"{repository(mkdocs_config)}/blob/"
    wrong = []
    for page in pages:
        parser = _Links()
        parser.feed((site_dir / page / "index.html").read_text(encoding="utf-8"))
        # Links into docs/ at any ref; the API pages' links into src/ are not this link.
        found = [(h, inside) for h, inside in parser.links if h.startswith(docs_prefix) and "/docs/" in h]
        sources = source_of(page, markdown)
        if len(sources) != 1:
            wrong.append(f"{page or '(home)'}: built from {sources or 'no Markdown file in the repository'}")
            continue
        expected = expected_link(mkdocs_config, sources[0])
        if [h for h, _ in found] != [expected]:
            wrong.append(f"{page or '(home)'}: source links {[h for h, _ in found]}, expected [{expected}]")
        elif not found[0][1]:
            wrong.append(f"{page or '(home)'}: the source link is outside the page's <article>")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
@pytest.mark.parametrize("path, source", [("", "docs/index.md"), ("guide/masks/", "docs/guide/masks.md")])
def test_the_source_link_is_visible_and_named(page, server, mkdocs_config, viewport, path, source):
    page.set_viewport_size(viewport)
    page.goto(server.base + path, wait_until="networkidle")
    link = page.locator(f"article a[href='{expected_link(mkdocs_config, source)}']")
    assert link.count() == 1
    assert link.is_visible()
    box = link.bounding_box()
    assert box is not None and box["width"] >= 16 and box["height"] >= 16, box
    # What a screen reader announces for an icon-only link.
    name = link.evaluate("a => a.getAttribute('aria-label') || a.textContent.trim()")
    assert "source" in name.lower(), name
