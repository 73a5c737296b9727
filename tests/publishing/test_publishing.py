"""`make publish`, run in throwaway git repositories made from this checkout.

Each repository is a copy of the working tree (tracked and new files, not
ignored ones) committed on its own `main`, so the tests publish what is on
disk now and never touch this checkout's branches. The copy runs make with
this interpreter's environment as its `.venv`. No test here imports
TensorFlow: the site build does not, and only tests/package/conftest.py
imports Keras.

Every publish is a full site build (a few seconds), so one module-scoped
repository is published to once per version and the tests read the commits
recorded along the way.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pathspec
import pytest
import yaml

from docs_tooling.browser.links import link_hrefs
from docs_tooling.paths import ROOT

VENV = Path(sys.prefix)
BRANCH = "gh-pages"
# Git reads no user or system configuration (signing, hooks, templates).
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Publishing test",
    "GIT_AUTHOR_EMAIL": "publishing-test@example.invalid",
    "GIT_COMMITTER_NAME": "Publishing test",
    "GIT_COMMITTER_EMAIL": "publishing-test@example.invalid",
}
REDIRECT = re.compile(r'<a href="([^"]*)">')


def environment() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "MIKE_", "MAKE")) and k != "MFLAGS"
    }
    return {**env, **GIT_ENV, "NO_MKDOCS_2_WARNING": "1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=environment(), check=True, stdout=subprocess.PIPE, text=True
    ).stdout.strip()


def make(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """`make ARGS` in `repo`, with this environment standing in for its `.venv`."""
    stamp = VENV / ".installed"
    return subprocess.run(
        ["make", "--no-print-directory", "-o", str(stamp), *args, f"VENV={VENV}"],
        check=False,
        cwd=repo,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def publish(repo: Path, *args: str) -> str:
    """Run `make ARGS` expecting success; return the new gh-pages commit."""
    result = make(repo, *args)
    assert result.returncode == 0, result.stdout
    return git(repo, "rev-parse", BRANCH)


def copy_checkout(dest: Path) -> Path:
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "--quiet", "--initial-branch=main")
    git(dest, "add", "--all")
    git(dest, "commit", "--quiet", "--message=Checkout under test")
    return dest


def read(repo: Path, rev: str, path: str) -> str:
    return git(repo, "show", f"{rev}:{path}")


def tree(repo: Path, rev: str, path: str) -> str:
    """The git tree hash of `path` at `rev`: equal hashes mean equal bytes."""
    return git(repo, "rev-parse", f"{rev}:{path}")


def files(repo: Path, rev: str, path: str) -> set[str]:
    listing = git(repo, "ls-tree", "-r", "--name-only", rev, "--", path)
    return {name.removeprefix(f"{path}/") for name in listing.splitlines()}


def versions(repo: Path, rev: str) -> list[dict]:
    return json.loads(read(repo, rev, "versions.json"))


def excluded_docs() -> pathspec.PathSpec:
    """The `exclude_docs` patterns of mkdocs.yml, matched the way MkDocs matches them."""

    class AnyTagLoader(yaml.SafeLoader):
        pass

    AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=AnyTagLoader)
    patterns = (config.get("exclude_docs") or "").splitlines()
    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


def expected_pages() -> set[str]:
    """Every page the build writes for docs/*.md, as paths under a version."""
    pages = {"404.html", "sitemap.xml", "search/search_index.json", "objects.inv"}
    excluded = excluded_docs()
    for source in (ROOT / "docs").rglob("*.md"):
        if excluded.match_file(source.relative_to(ROOT / "docs").as_posix()):
            continue  # included into another page, never built on its own
        page = source.relative_to(ROOT / "docs").with_suffix("").as_posix()
        if page == "index" or page.endswith("/index"):
            pages.add(f"{page.removesuffix('index')}index.html")
        else:
            pages.add(f"{page}/index.html")
    return pages


def redirect_target(repo: Path, rev: str, path: str) -> str:
    """Where the redirect page at `path` sends the reader, relative to the site root."""
    html = read(repo, rev, path)
    assert "Redirecting" in html, f"{path} is not a redirect page"
    (href,) = set(REDIRECT.findall(html))
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), href))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A repository where dev, then 0.1, then 0.2 were published."""
    repo = copy_checkout(tmp_path_factory.mktemp("published"))
    commits = {"dev": publish(repo, "publish-dev")}
    commits["0.1"] = publish(repo, "publish", "VERSION=0.1")
    commits["0.2"] = publish(repo, "publish", "VERSION=0.2")
    return repo, commits


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "VERSION is missing"),
        ("0.2.1", "is not a version this site publishes"),
        ("v0.2", "is not a version this site publishes"),
        ("latest", "is not a version this site publishes"),
    ],
)
def test_version_is_checked_before_anything_is_built(site, value, message):
    repo, _ = site
    before = git(repo, "rev-parse", BRANCH)
    result = make(repo, "publish", f"VERSION={value}")
    assert result.returncode != 0
    assert message in result.stdout
    assert "Building documentation" not in result.stdout
    assert git(repo, "rev-parse", BRANCH) == before


def test_uncommitted_changes_are_not_published(site):
    repo, _ = site
    before = git(repo, "rev-parse", BRANCH)
    page = repo / "docs" / "index.md"
    original = page.read_text()
    page.write_text(original + "\nNot committed.\n")
    try:
        result = make(repo, "publish", "VERSION=0.3")
    finally:
        page.write_text(original)
    assert result.returncode != 0
    assert "uncommitted changes" in result.stdout
    assert git(repo, "rev-parse", BRANCH) == before


def test_versions_json_lists_both_releases_with_latest_on_the_newest(site):
    repo, commits = site
    # mike orders versions.json, and so the selector, with `dev` above the releases.
    assert versions(repo, commits["0.2"]) == [
        {"version": "dev", "title": "dev", "aliases": []},
        {"version": "0.2", "title": "0.2", "aliases": ["latest"]},
        {"version": "0.1", "title": "0.1", "aliases": []},
    ]


def test_every_version_holds_the_whole_site(site):
    repo, commits = site
    pages = expected_pages()
    assert "guide/first-models/index.html" in pages
    for version in ("0.1", "0.2", "dev"):
        missing = pages - files(repo, commits["0.2"], version)
        assert not missing, f"{version} lacks {sorted(missing)}"


def test_publishing_0_2_left_0_1_and_dev_untouched(site):
    repo, commits = site
    for version in ("0.1", "dev"):
        assert tree(repo, commits["0.2"], version) == tree(repo, commits["0.1"], version)


def test_latest_redirects_every_page_to_the_newest_release(site):
    repo, commits = site
    rev = commits["0.2"]
    pages = [p for p in expected_pages() if p.endswith(".html")]
    assert files(repo, rev, "latest") >= set(pages)
    for page in pages:
        target = redirect_target(repo, rev, f"latest/{page}")
        assert target in (f"0.2/{page}", posixpath.dirname(f"0.2/{page}")), (page, target)
    assert redirect_target(repo, rev, "index.html") == "latest"


def test_root_redirects_to_dev_until_a_release_exists(site):
    repo, commits = site
    assert redirect_target(repo, commits["dev"], "index.html") == "dev"
    assert versions(repo, commits["dev"]) == [{"version": "dev", "title": "dev", "aliases": []}]


def test_pages_carry_the_version_selector(site):
    repo, commits = site
    html = read(repo, commits["0.2"], "0.1/guide/first-models/index.html")
    assert '"version": {"alias": true, "default": "latest", "provider": "mike"}' in html
    assert link_hrefs(html, "canonical") == [
        "https://keras-call-guide.example.org/latest/guide/first-models/"
    ]


def test_republishing_an_older_release_changes_only_that_release(site, tmp_path):
    repo, commits = site
    head = commits["0.2"]
    assert git(repo, "rev-parse", BRANCH) == head
    page = repo / "docs" / "index.md"
    page.write_text(page.read_text() + "\nA fix to the 0.1 docs.\n")
    git(repo, "commit", "--quiet", "--all", "--message=Fix the 0.1 docs")
    try:
        fixed = publish(repo, "publish", "VERSION=0.1")
        assert fixed != head
        assert tree(repo, fixed, "0.1") != tree(repo, head, "0.1")
        assert "A fix to the 0.1 docs." in read(repo, fixed, "0.1/index.html")
        for untouched in ("0.2", "latest", "dev", "versions.json", "index.html"):
            assert tree(repo, fixed, untouched) == tree(repo, head, untouched), untouched

        # The same commit again, from a clone that has gh-pages only as origin's (as
        # in CI): publishing catches up with origin first, so `latest` stays on 0.2,
        # and the build is reproducible, so mike has nothing to commit or push.
        clone = tmp_path / "clone"
        git(tmp_path, "clone", "--quiet", str(repo), str(clone))
        result = make(clone, "publish", "VERSION=0.1", "PUSH=1")
        assert result.returncode == 0, result.stdout
        assert "latest stays on 0.2" in result.stdout
        assert "Everything up-to-date" in result.stdout
        assert git(clone, "rev-parse", BRANCH) == fixed
        assert git(repo, "rev-parse", BRANCH) == fixed
    finally:
        git(repo, "reset", "--quiet", "--hard", "HEAD~1")


def test_a_failing_build_publishes_nothing(site):
    repo, _ = site
    before = git(repo, "rev-parse", BRANCH)
    page = repo / "docs" / "index.md"
    # A broken link is only a warning; mkdocs.yml's strict mode makes it fatal.
    page.write_text(page.read_text() + "\n[Broken](no-such-page.md)\n")
    git(repo, "commit", "--quiet", "--all", "--message=Break a link")
    try:
        result = make(repo, "publish", "VERSION=0.3")
    finally:
        git(repo, "reset", "--quiet", "--hard", "HEAD~1")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stdout
    assert f"{BRANCH} is unchanged ({before})" in result.stdout
    assert git(repo, "rev-parse", BRANCH) == before


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def test_mike_serve_serves_the_versions_the_selector_reads(site):
    repo, _ = site
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(VENV / "bin" / "mike"), "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=repo,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                listing = fetch(f"{base}/versions.json")
                break
            except OSError:
                assert server.poll() is None, "mike serve exited"
                assert time.monotonic() < deadline, "mike serve did not answer in 30 s"
                time.sleep(0.2)
        # Material's selector reads versions.json one level above the version.
        assert json.loads(listing) == versions(repo, BRANCH)
        for version in ("0.1", "0.2", "dev"):
            assert b"Examples tested with" in fetch(f"{base}/{version}/guide/first-models/")
        assert b'href="../0.2/"' in fetch(f"{base}/latest/")
        assert b'href="latest/"' in fetch(f"{base}/")
    finally:
        server.terminate()
        server.wait(timeout=10)
