"""MkDocs hook: every guide page as a notebook, and links to it on the page.

For each page under docs/guide/ the hook builds a notebook
(docs_tooling.notebooks: the page's run blocks as code cells, its prose
between them), publishes it at notebooks/<page>.ipynb in the site, and puts a
"Download notebook" link and an "Open in Colab" link under the page's title.
Nothing is executed and nothing imports TensorFlow; tests/notebooks runs the
notebooks and checks them against the pages.

The Colab link is a plain link to the notebook on the published gh-pages
branch, so the page still loads nothing from another site. It names the
version mike is deploying (`MIKE_DOCS_VERSION`, set by `mike deploy`, which
`make publish` runs); a plain `mkdocs build` names `dev`, the version built
from main. Never an alias such as `latest`: mike publishes an alias's HTML
pages as redirects and leaves its other files out. Links in the notebook's
prose to other pages point at the same version of the published site.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

# MkDocs loads a hook by its file path; the builder is this checkout's, whatever
# docs_tooling is installed (a git worktree may share another checkout's install).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
try:
    from docs_tooling import notebooks
    from docs_tooling.hooks.build import tested_versions
finally:
    sys.path.pop(0)

COLAB = "https://colab.research.google.com/github/{repo}/blob/gh-pages/{version}/{path}"
GITHUB_REPO = re.compile(r"^https://github\.com/(?P<repo>[\w.-]+/[\w.-]+?)/?$")
DEFAULT_VERSION = "dev"
VERSION_VARIABLE = "MIKE_DOCS_VERSION"
H1_END = re.compile(r"</h1>")

_state: dict = {}


def github_repository(config) -> str:
    """owner/name of the repository the footer links to (extra.social), where gh-pages lives."""
    for link in (config.get("extra") or {}).get("social") or []:
        match = GITHUB_REPO.match(str(link.get("link", "")))
        if match:
            return match.group("repo")
    raise PluginError(
        "hooks/notebooks.py: no GitHub repository link in extra.social of mkdocs.yml; the "
        "'Open in Colab' links need it to find the notebooks on the gh-pages branch"
    )


def published_version() -> str:
    version = os.environ.get(VERSION_VARIABLE, "").strip() or DEFAULT_VERSION
    if not re.fullmatch(r"[\w.-]+", version):
        raise PluginError(f"hooks/notebooks.py: {VERSION_VARIABLE}={version!r} is not a version name")
    return version


@event_priority(100)  # before mike's on_config, which appends the canonical version to site_url
def on_config(config):
    site_root = (config.get("site_url") or "").rstrip("/")
    _state.clear()
    _state.update(
        repo=github_repository(config),
        version=published_version(),
        site=f"{site_root}/{published_version()}/" if site_root else None,
        pages={},
    )
    return config


def _resolver(files):
    """Absolute URL, on the published site, of a target relative to docs/ (None: keep it)."""

    def resolve(target: str) -> str | None:
        if _state["site"] is None:
            return None
        path, hash_, fragment = target.partition("#")
        found = files.get_file_from_path(path)
        if found is None:
            return None
        return _state["site"] + found.url + hash_ + fragment

    return resolve


def on_files(files, config):
    resolve = _resolver(files)
    for file in list(files.documentation_pages()):
        if not file.src_uri.startswith("guide/"):
            continue
        target = notebooks.notebook_path(file.src_uri)
        url = _state["site"] + file.url if _state["site"] else None
        intro = intro_text(url)
        try:
            notebook = notebooks.build_notebook(
                Path(file.abs_src_path), docs_path=file.src_uri, intro=intro, resolve_link=resolve
            )
        except notebooks.NotebookError as error:
            raise PluginError(f"hooks/notebooks.py: {error}") from None
        files.append(File.generated(config, target, content=notebooks.write(notebook)))
        _state["pages"][file.src_uri] = target
    return files


def intro_text(page_url: str | None) -> str:
    page = f"[this page of the guide]({page_url})" if page_url else "this page of the guide"
    return (
        f"The code of {page}, with its prose between the cells. The outputs stored under "
        "each cell are the ones the page shows; the guide's tests run this notebook and "
        "check that every cell still prints them.\n\n"
        "On the page every example stands alone, as a file run with `python` would: the "
        "tests reset Keras before each one. Cells of one notebook share a kernel instead, "
        "and Keras numbers the layers it names across the whole session (`dense`, then "
        "`dense_1`, ...), so the names and outputs a cell prints would depend on the cells "
        "run before it. Each code cell therefore starts with `fresh_start()`, defined in "
        "the next cell: it resets Keras's global state, forgets the classes earlier cells "
        "registered, and moves to an empty working directory. Run the next cell first.\n\n"
        f"Tested with {tested_versions()}."
    )


def links_html(page_url: str, notebook: str) -> str:
    download = html.escape(get_relative_url(notebook, page_url))
    colab = html.escape(COLAB.format(repo=_state["repo"], version=_state["version"], path=notebook))
    return (
        '<p class="notebook-links" data-search-exclude>'
        f'<a href="{download}" download>Download notebook</a> · '
        f'<a href="{colab}">Open in Colab</a></p>'
    )


def on_page_content(content: str, page, config, files):
    notebook = _state.get("pages", {}).get(page.file.src_uri)
    if notebook is None:
        return content
    links = links_html(page.url, notebook)
    match = H1_END.search(content)
    if match is None:
        return links + content
    return content[: match.end()] + links + content[match.end() :]
