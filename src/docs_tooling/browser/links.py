"""A crawl of the built site's HTML files: every link, every anchor.

No network: a link that leaves the site is only collected, never fetched, so
the tests can require that there is none beyond the few allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

# (tag, attribute) pairs whose value is a URL the browser follows or loads.
URL_ATTRIBUTES = {
    ("a", "href"),
    ("link", "href"),
    ("img", "src"),
    ("script", "src"),
    ("source", "src"),
    ("iframe", "src"),
    ("object", "data"),
    ("embed", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("use", "href"),
}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass
class Reference:
    page: str
    tag: str
    url: str


@dataclass
class ParsedPage:
    ids: set[str] = field(default_factory=set)
    references: list[Reference] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.result = ParsedPage()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.result.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.result.ids.add(attributes["name"])
        for name, value in attrs:
            if (tag, name) in URL_ATTRIBUTES and value is not None:
                self.result.references.append(Reference(self.page, tag, value.strip()))

    handle_startendtag = handle_starttag


class _LinkElements(HTMLParser):
    def __init__(self, rel: str):
        super().__init__()
        self.rel = rel
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and self.rel in (attributes.get("rel") or "").lower().split():
            self.hrefs.append(attributes.get("href") or "")


def link_hrefs(html: str, rel: str) -> list[str]:
    """The hrefs of a page's <link> elements whose rel includes `rel`, quoted or not."""
    parser = _LinkElements(rel)
    parser.feed(html)
    parser.close()
    return parser.hrefs


def parse(path: Path, page: str) -> ParsedPage:
    parser = _Parser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.result


@dataclass
class CrawlResult:
    broken: list[str] = field(default_factory=list)
    external: list[Reference] = field(default_factory=list)
    checked: int = 0


def crawl(site_dir: Path, site_url: str) -> CrawlResult:
    """Check every reference in every HTML file of `site_dir`.

    A relative URL, or an absolute one under `site_url`, must name a file of
    the site and, with a fragment, an id in that file. Anything else is
    collected in `external` (loopback links, such as the local dev server's
    address, count as neither).
    """
    site_url = site_url.rstrip("/") + "/"
    html_files = sorted(site_dir.rglob("*.html"))
    parsed = {
        f.relative_to(site_dir).as_posix(): parse(f, f.relative_to(site_dir).as_posix()) for f in html_files
    }
    result = CrawlResult()
    for page, content in parsed.items():
        page_url = site_url + page
        for ref in content.references:
            url = ref.url
            if not url or url.startswith(("data:", "blob:")):
                continue
            absolute = urljoin(page_url, url)
            parts = urlsplit(absolute)
            if not absolute.startswith(site_url):
                if parts.hostname not in {h.strip("[]") for h in LOOPBACK_HOSTS}:
                    result.external.append(ref)
                continue
            result.checked += 1
            target = _target_file(site_dir, unquote(parts.path[len(urlsplit(site_url).path) :]))
            where = f"{page}: <{ref.tag}> {url}"
            if target is None:
                result.broken.append(f"{where} -> no such file")
                continue
            if parts.fragment:
                key = target.relative_to(site_dir).as_posix()
                if key not in parsed:
                    result.broken.append(f"{where} -> fragment on a non-HTML file")
                elif unquote(parts.fragment) not in parsed[key].ids:
                    result.broken.append(f"{where} -> no id {unquote(parts.fragment)!r} in {key}")
    return result


def _target_file(site_dir: Path, rel: str) -> Path | None:
    candidate = site_dir / PurePosixPath(rel)
    if rel == "" or rel.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None
