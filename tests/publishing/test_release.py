"""The keras-call-guide release: the wheel and sdist PyPI would get, built offline.

A copy of the working tree (tracked and new files, as tests/publishing's
other tests copy it) is built with `python -m build --no-isolation`: build's
default isolation would create a fresh environment and download setuptools
into it, so the build uses the setuptools this environment pins instead, and
runs with every package index and proxy pointed nowhere, so that any attempt
to download fails the test. The results are checked as the release workflow
(.github/workflows/release.yml) and PyPI would check them: `twine check
--strict`, and what each archive holds.

The wheel is then installed, offline and without dependencies, into a new
virtual environment that sees this environment's packages (TensorFlow,
Keras) only after its own, and every guide block that imports
keras_call_guide runs there as `python block.py` with its shown output
checked, importing the installed wheel, not src/: a probe run the same way
shows `keras_call_guide.__file__` is in the new environment's site-packages.
"""

from __future__ import annotations

import email
import email.message
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
import tomllib

from docs_tooling import doc_blocks, forkserver
from docs_tooling.paths import DOCS, README, ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME = PROJECT["name"]
VERSION = PROJECT["version"]
# The file-name form of the project name (PEP 427, and the sdist's since PEP 625).
STEM = f"{re.sub(r'[-_.]+', '_', NAME).lower()}-{VERSION}"
PACKAGE = "keras_call_guide"
IMPORTS_PACKAGE = re.compile(rf"^\s*(?:import|from)\s+{PACKAGE}\b", re.MULTILINE)
# A release with more metadata than this would need the list extended on purpose.
SDIST_TOP_FILES = {"PKG-INFO", "README.md", "pyproject.toml", "setup.cfg"}
NOWHERE = "http://127.0.0.1:9"  # the discard port: a request sent there fails at once
BLOCK_TIMEOUT = 600


def offline_environment() -> dict[str, str]:
    """This environment with every way to reach a package index closed."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        {
            "PIP_NO_INDEX": "1",
            "PIP_INDEX_URL": NOWHERE,
            "UV_OFFLINE": "1",
            "HTTP_PROXY": NOWHERE,
            "HTTPS_PROXY": NOWHERE,
            "http_proxy": NOWHERE,
            "https_proxy": NOWHERE,
        }
    )
    return env


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def listed_files(*pathspecs: str) -> list[str]:
    """Files of this checkout that are or will be committed: tracked, or new and not ignored."""
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *pathspecs], cwd=ROOT
    ).stdout.split("\0")
    return [name for name in listed if name and (ROOT / name).is_file()]


def package_files() -> set[str]:
    """The package's files as they sit in a wheel: keras_call_guide/..., no caches."""
    return {
        name.removeprefix("src/")
        for name in listed_files(f"src/{PACKAGE}")
        if "__pycache__" not in name and not name.endswith(".pyc")
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("checkout")
    for name in listed_files("."):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes((ROOT / name).read_bytes())
    out = tmp_path_factory.mktemp("dist")
    run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        env=offline_environment(),
    )
    return out


def wheel(dist: Path) -> Path:
    return dist / f"{STEM}-py3-none-any.whl"


def sdist(dist: Path) -> Path:
    return dist / f"{STEM}.tar.gz"


def test_the_build_gives_one_wheel_and_one_sdist(dist):
    assert sorted(p.name for p in dist.iterdir()) == sorted([wheel(dist).name, sdist(dist).name])


def test_twine_accepts_both(dist):
    result = run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel(dist)), str(sdist(dist))],
        env={**offline_environment(), "NO_COLOR": "1"},
    )
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_the_wheel_holds_the_package_and_nothing_else(dist):
    with zipfile.ZipFile(wheel(dist)) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
    others = [m for m in members if not m.startswith((f"{PACKAGE}/", f"{STEM}.dist-info/"))]
    assert not others, f"the wheel holds more than {PACKAGE}: {others}"
    assert {m for m in members if m.startswith(f"{PACKAGE}/")} == package_files()


def test_the_sdist_holds_the_package_and_nothing_else(dist):
    with tarfile.open(sdist(dist)) as archive:
        members = [m.name for m in archive.getmembers() if m.isfile()]
    assert all(m.startswith(f"{STEM}/") for m in members), members
    inside = [m.removeprefix(f"{STEM}/") for m in members]
    others = [
        m
        for m in inside
        if m not in SDIST_TOP_FILES and not m.startswith((f"src/{PACKAGE}/", f"src/{PACKAGE}.egg-info/"))
    ]
    assert not others, f"the sdist holds more than {PACKAGE} and its metadata: {others}"
    shipped = {m.removeprefix("src/") for m in inside if m.startswith(f"src/{PACKAGE}/")}
    assert shipped == package_files()


def metadata(dist: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel(dist)) as archive:
        return email.message_from_bytes(archive.read(f"{STEM}.dist-info/METADATA"))


def test_the_metadata_names_the_project_and_its_runtime_needs(dist):
    meta = metadata(dist)
    assert meta["Name"] == "keras-call-guide"
    assert meta["Version"] == VERSION
    assert meta["License-Expression"] == "Apache-2.0"
    required = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert sorted(re.match(r"[\w.-]+", r)[0] for r in required) == ["keras", "tensorflow"]


def test_the_project_page_links_only_to_absolute_urls(dist):
    """PyPI shows README.md as the project page, where a relative link leads nowhere."""
    description = metadata(dist).get_payload()
    assert "pip install keras-call-guide" in description
    targets = re.findall(r"\]\(([^)\s]+)\)", description) + re.findall(r"<(\w+:[^>\s]+)>", description)
    assert targets, "no link found in the long description"
    relative = [t for t in targets if not re.match(r"https?://", t)]
    assert not relative, f"links that break on PyPI: {relative}"


@pytest.mark.parametrize("path", [README, DOCS / "index.md"], ids=["README.md", "docs/index.md"])
def test_readers_are_told_to_pip_install_the_project(path):
    commands = [
        b.code.strip()
        for b in doc_blocks.read_blocks(path)
        if b.syntax in ("bash", "sh", "console") and "pip install" in b.code
    ]
    assert f"pip install {NAME}" in commands, f"{path.name}: {commands}"


# --- the installed wheel ---------------------------------------------------------------


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A new virtual environment holding the wheel, and this one's packages behind it."""
    root = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    python = root / "bin" / "python"
    # Before the .pth below exists: pip would otherwise find this environment's
    # editable keras-call-guide of the same version and install nothing.
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--no-deps"]
        + ["--no-cache-dir", "--disable-pip-version-check", str(wheel(dist))],
        env=offline_environment(),
    )
    purelib = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # A .pth line appends a folder to sys.path after the new site-packages, and
    # the .pth files inside it are not read: this environment's editable
    # installs (keras_call_guide and docs_tooling from src/) stay out.
    (purelib / "zz-test-stack.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    return root


def site_packages(venv: Path) -> Path:
    (path,) = (venv / "lib").glob("python3*/site-packages")
    return path


PROBE = f"""
import {PACKAGE}, keras
print({PACKAGE}.__file__)
print(keras.__version__)
"""


def block_environment() -> dict[str, str]:
    return {**doc_blocks.reader_environment(), **offline_environment(), "PYTHONNOUSERSITE": "1"}


@pytest.fixture(scope="module")
def servers(venv):
    """One fork server on the new environment's interpreter: TensorFlow imported once."""
    pool = forkserver.ForkServerPool(1, block_environment(), python=str(venv / "bin" / "python"))
    yield pool
    pool.close()


def run_file(code: str, servers, venv: Path, fresh: bool) -> forkserver.Run:
    with (
        tempfile.TemporaryDirectory(prefix="release-block-") as script_dir,
        tempfile.TemporaryDirectory(prefix="release-run-") as workdir,
    ):
        script = Path(script_dir) / "block.py"
        script.write_text(code, encoding="utf-8")
        if not fresh:
            return servers.run(script, workdir, BLOCK_TIMEOUT)
        result = subprocess.run(
            [str(venv / "bin" / "python"), str(script)],
            cwd=workdir,
            env=block_environment(),
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
        )
        return forkserver.Run(result.returncode, result.stdout, result.stderr)


def package_blocks() -> list:
    """(page, block) for every runnable Python block of the site and README that imports the package."""
    pages = sorted(DOCS.rglob("*.md")) + [README]
    return [
        (page, block)
        for page in pages
        for block in doc_blocks.collected_blocks(page)
        if block.syntax == "python" and IMPORTS_PACKAGE.search(block.code)
    ]


BLOCKS = package_blocks()


def test_blocks_import_the_installed_wheel_not_src(servers, venv):
    # Each way the blocks below run: forked from the server and, for a block
    # that touches the environment, in a new interpreter (a slow start, so
    # only when some block needs it).
    for fresh in sorted({False} | {forkserver.needs_fresh_interpreter(b.code) for _, b in BLOCKS}):
        check_probe(run_file(PROBE, servers, venv, fresh), venv)


def check_probe(probe: forkserver.Run, venv: Path) -> None:
    assert probe.returncode == 0, probe.stderr
    location, keras_version = probe.stdout.split()
    assert Path(location).is_relative_to(site_packages(venv) / PACKAGE), location
    assert not Path(location).resolve().is_relative_to(ROOT), location
    assert keras_version.startswith("3."), keras_version


def test_the_guide_has_blocks_that_import_the_package():
    assert len(BLOCKS) >= 30, f"only {len(BLOCKS)} blocks import {PACKAGE}; is the pattern still right?"


@pytest.mark.parametrize(
    "page, block",
    [
        pytest.param(
            page,
            block,
            marks=[doc_blocks._evaluate_mark(m, page, block) for m in block.marks],
            id=f"{page.relative_to(ROOT)}:{block.lineno}",
        )
        for page, block in BLOCKS
    ],
)
def test_guide_block_passes_against_the_installed_wheel(servers, venv, page, block):
    where = f"{page.relative_to(ROOT)}:{block.lineno}"
    code = "\n" * block.lineno + block.code  # the page's line numbers in a traceback
    result = run_file(code, servers, venv, fresh=forkserver.needs_fresh_interpreter(block.code))
    if result.returncode != 0:
        raise AssertionError(
            f"{where}: run against the installed wheel, the block exited {result.returncode}:\n"
            f"{result.stderr}\nIt printed before failing:\n{result.stdout}"
        )
    try:
        doc_blocks.check_output(block, result.stdout, where, doc_blocks.shown_for(page, block))
    except doc_blocks.BlockFailed as failed:
        raise AssertionError(str(failed)) from None
