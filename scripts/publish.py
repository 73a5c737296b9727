"""Publish the site as one version on the local `gh-pages` branch with mike.

Run it through make, from the repository root:

    make publish VERSION=0.2          # version 0.2, `latest` moves to it
    make publish-dev                  # version `dev`, built from the checkout
    make publish VERSION=0.2 PUSH=1   # ... and push gh-pages to origin

A release version is MAJOR.MINOR: a patch release re-publishes its minor
version. `latest` moves only to the highest release published, so
re-publishing an older release (a fix to the 0.1 docs) leaves it where it is;
`latest` is the site's default, the page the root URL redirects to.

mike runs the build itself (`mkdocs build` with mkdocs.yml, which sets
`strict: true`, so it is the build `make test` checks) and commits only after
the build succeeded: a failing build leaves `gh-pages` as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

BRANCH = "gh-pages"
REMOTE = "origin"
DEV = "dev"
LATEST = "latest"
RELEASE = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
# mike and the `mkdocs` it runs come from this interpreter's environment.
BIN = Path(sys.executable).parent
MIKE = [str(BIN / "mike")]


class PublishError(Exception):
    """A reason not to publish, worded for the person who ran `make publish`."""


def check_version(text: str) -> str:
    """Return `text` if it names a version this site publishes.

    Args:
        text: The VERSION given to `make publish`.

    Returns:
        `text` itself: `dev` or a MAJOR.MINOR release such as `0.2`.

    Raises:
        PublishError: `text` is empty or not of that form.

    Example:
        >>> check_version("0.2")
        '0.2'
    """
    if not text:
        raise PublishError(
            "VERSION is missing: run `make publish VERSION=MAJOR.MINOR` (e.g. VERSION=0.2) "
            "or `make publish-dev`."
        )
    if text != DEV and not RELEASE.fullmatch(text):
        raise PublishError(
            f"VERSION={text!r} is not a version this site publishes: expected MAJOR.MINOR "
            "such as 0.2 (a patch release re-publishes its minor version) or 'dev'."
        )
    return text


def release_key(version: str) -> tuple[int, int] | None:
    """(major, minor) of a release version, None for anything else (`dev`)."""
    match = RELEASE.fullmatch(version)
    return (int(match[1]), int(match[2])) if match else None


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, text=True, **kwargs)


def git(*args: str) -> str:
    return run(["git", *args], stdout=subprocess.PIPE).stdout.strip()


def branch_sha() -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}"],
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    return result.stdout.strip() or None


def check_checkout() -> None:
    """Refuse to publish what no commit holds, or a build that is not strict."""
    dirty = git("status", "--porcelain")
    if dirty:
        raise PublishError(
            "the checkout has uncommitted changes; a published version must be a commit. "
            f"Commit or stash them first:\n{dirty}"
        )
    from mkdocs.utils import yaml_load

    with open("mkdocs.yml", encoding="utf-8") as file:
        config = yaml_load(file)
    if config.get("strict") is not True:
        raise PublishError(
            "mkdocs.yml must set `strict: true`: mike builds with mkdocs.yml, and only a "
            "strict build turns a broken link into a failed deploy."
        )


def read_published(path: str) -> str | None:
    """A file of the local gh-pages branch, None if it (or the branch) is absent."""
    result = subprocess.run(
        ["git", "show", f"refs/heads/{BRANCH}:{path}"],
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return result.stdout if result.returncode == 0 else None


def catch_up_with_remote() -> None:
    """Fast-forward local gh-pages to the remote's, as mike deploy would.

    Done first so that the versions read below are the ones mike deploys onto.
    """
    from mike import git_utils

    try:
        git_utils.update_from_upstream(REMOTE, BRANCH)
    except (git_utils.GitBranchDiverged, git_utils.GitRevUnrelated) as error:
        raise PublishError(
            f"{error}. Local {BRANCH} holds deploys that {REMOTE} does not, and the other "
            f"way round: see 'Fixing a bad deploy' in docs/maintainers/publishing.md."
        ) from None


def published_versions() -> list[dict]:
    # What `mike list --json` prints, without starting mike and MkDocs.
    return json.loads(read_published("versions.json") or "[]")


def set_default(version: str, env: dict) -> None:
    """Make the root URL redirect to `version`, unless it already does."""
    root = read_published("index.html") or ""
    if f'href="{version}/"' in root:
        return
    result = subprocess.run(
        [*MIKE, "set-default", version], check=False, env=env, stderr=subprocess.PIPE, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise PublishError(f"mike could not make {version} the default (see above).")


def publish(version: str, push: bool) -> None:
    check_checkout()
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # Dates in the sitemap come from the commit, so re-publishing the same
    # commit gives the same bytes and mike records no change.
    env["SOURCE_DATE_EPOCH"] = git("log", "-1", "--format=%ct", "HEAD")
    # The API pages link each object to its lines at the commit published.
    env["KCG_SOURCE_REF"] = git("rev-parse", "HEAD")
    catch_up_with_remote()
    versions = published_versions()
    key = release_key(version)
    newer = [v["version"] for v in versions if key and (other := release_key(v["version"])) and other > key]
    aliases = [LATEST] if key and not newer else []
    before = branch_sha()

    deploy = [*MIKE, "deploy", "--update-aliases", version, *aliases]
    if subprocess.run(deploy, check=False, env=env).returncode != 0:
        raise PublishError(
            f"mike could not deploy {version} (see above); {BRANCH} is unchanged ({before or 'not created'})."
        )

    has_latest = aliases or any(LATEST in v["aliases"] for v in versions)
    # Until a release exists, the root URL sends readers to `dev`.
    set_default(LATEST if has_latest else DEV, env)

    if aliases:
        print(f"Published {version} as {LATEST}; {BRANCH} is at {branch_sha()}.")
    elif newer:
        print(f"Published {version}; {LATEST} stays on {max(newer, key=release_key)}.")
    else:
        print(f"Published {version}; {BRANCH} is at {branch_sha()}.")
    if push:
        run(["git", "push", REMOTE, BRANCH])
    else:
        print(f"Nothing pushed. Check with `mike serve`, then `git push {REMOTE} {BRANCH}`.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="MAJOR.MINOR or dev")
    parser.add_argument("--push", action="store_true", help=f"push {BRANCH} to {REMOTE}")
    args = parser.parse_args(argv)
    try:
        publish(check_version(args.version), args.push)
    except PublishError as error:
        print(f"make publish: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
