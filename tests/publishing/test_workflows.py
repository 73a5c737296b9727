"""The GitHub Actions workflows, checked offline.

`make lint` validates them against check-jsonschema's bundled copy of the
workflow schema and has zizmor audit them for security problems (strictest
persona: every finding is fixed or answered with a `zizmor: ignore[...]`
comment and its reason). The tests below pin down the rules that neither tool
knows about.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from docs_tooling.paths import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PINNED = re.compile(r"[^@\s]+@[0-9a-f]{40}")


@functools.cache
def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def jobs() -> list[tuple[str, dict]]:
    return [(f"{path.name}:{name}", job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()]


def deploy_job() -> dict:
    (job,) = [job for _, job in jobs() if "make publish" in str(job.get("steps"))]
    return job


RELEASE = ROOT / ".github" / "workflows" / "release.yml"


def release_jobs() -> dict:
    return load(RELEASE)["jobs"]


def publish_job() -> dict:
    (job,) = [job for _, job in jobs() if "pypa/gh-action-pypi-publish@" in str(job.get("steps"))]
    return job


def triggers(path: Path) -> dict:
    workflow = load(path)
    # YAML 1.1 reads the bare key `on` as true.
    return workflow.get("on", workflow.get(True))


def test_there_are_workflows():
    assert WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_nothing_is_writable_by_default(path):
    assert load(path).get("permissions") in ({}, "read-all", {"contents": "read"})


def test_only_the_deploy_job_may_write_and_only_the_publish_job_gets_an_id_token():
    deploy, publish = deploy_job(), publish_job()
    for name, job in jobs():
        permissions = job.get("permissions", {})
        writes = [scope for scope, level in permissions.items() if level == "write"]
        expected = ["contents"] if job is deploy else ["id-token"] if job is publish else []
        assert writes == expected, name
    assert publish_job()["permissions"] == {"id-token": "write"}


def test_every_action_is_pinned_to_a_commit():
    for name, job in jobs():
        for step in job.get("steps", []):
            if "uses" in step and not step["uses"].startswith("./"):
                assert PINNED.fullmatch(step["uses"]), f"{name}: {step['uses']}"


def test_the_deploy_job_is_tested_serialized_and_uncached():
    deploy = deploy_job()
    # The releases page publishes the oldest stack's outputs: only a green `oldest` vouches for them.
    assert sorted(deploy["needs"]) == ["oldest", "test"]
    assert deploy["concurrency"] == {"group": "gh-pages", "cancel-in-progress": False}
    steps = deploy["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    for step in steps:
        assert "cache" not in step.get("with", {}), step
        assert "actions/cache" not in step.get("uses", ""), step


def test_jobs_that_do_not_push_drop_the_token():
    deploy = deploy_job()
    for name, job in jobs():
        if job is deploy:
            continue
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_ci_runs_the_same_entry_point_as_local_ci():
    runs = [step.get("run", "") for _, job in jobs() for step in job.get("steps", [])]
    assert "bash .ci/run" in runs


@pytest.mark.parametrize(
    "ref_type, ref_name, published",
    [
        ("tag", "v0.2", "VERSION=0.2"),
        ("tag", "v0.2.1", "VERSION=0.2"),
        ("tag", "v1.10", "VERSION=1.10"),
        ("branch", "main", "VERSION=dev"),
        ("tag", "v1", None),
        ("tag", "v0.2rc1", None),
        ("tag", 'v1.2";touch${IFS}hacked;"', None),
    ],
)
def test_the_deploy_step_derives_the_version_from_the_ref(tmp_path, ref_type, ref_name, published):
    (step,) = [s for s in deploy_job()["steps"] if "make publish" in s.get("run", "")]
    assert step["shell"] == "bash"
    stub = 'make() { echo "make $*"; }\n'  # stands in for the real publish
    result = subprocess.run(
        ["bash", "-e", "-c", stub + step["run"]],
        check=False,
        cwd=tmp_path,
        text=True,
        env={"PATH": "/usr/bin:/bin", "GITHUB_REF_TYPE": ref_type, "GITHUB_REF_NAME": ref_name},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=30,
    )
    if published is None:
        assert result.returncode != 0
        assert "nothing published" in result.stdout
        assert not any(tmp_path.iterdir())
    else:
        assert result.returncode == 0, result.stdout
        assert result.stdout.strip() == f"make publish {published} PUSH=1"


def test_the_release_runs_on_version_tags_only():
    assert triggers(RELEASE) == {"push": {"tags": ["v*"]}}


def test_the_release_publishes_what_its_build_job_built_and_checked():
    build, publish = release_jobs()["build"], release_jobs()["publish"]
    assert publish is publish_job()
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "python -m build --no-isolation" in runs
    assert "twine check --strict" in runs
    (upload,) = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    # Only the downloaded artifact reaches the job that holds the token: no
    # checkout, no command of the repository's.
    uses = [step.get("uses", "").split("@")[0] for step in publish["steps"]]
    assert uses == ["actions/download-artifact", "pypa/gh-action-pypi-publish"]
    assert not any("run" in step for step in publish["steps"])
    (download,) = [s for s in publish["steps"] if s["uses"].startswith("actions/download-artifact@")]
    assert download["with"]["name"] == upload["with"]["name"]
    assert download["with"]["path"].rstrip("/") == upload["with"]["path"].rstrip("/") == "dist"
    # Password-less: no token or password handed to the upload.
    assert "with" not in publish["steps"][-1] or not {"password", "user"} & set(publish["steps"][-1]["with"])


@pytest.mark.parametrize(
    "tag, version, builds",
    [
        ("v0.1.0", "0.1.0", True),
        ("v0.1", "0.1.0", True),
        ("v1.2.3rc1", "1.2.3rc1", True),
        ("v0.2.0", "0.1.0", False),
        ("v0.1.0.", "0.1.0", False),
        ("0.1.0", "0.1.0", False),
        ('v0.1.0";touch${IFS}hacked;"', "0.1.0", False),
    ],
)
def test_the_release_checks_the_tag_names_the_package_version(tmp_path, tag, version, builds):
    (step,) = [s for s in release_jobs()["build"]["steps"] if "GITHUB_REF_NAME" in s.get("run", "")]
    assert step["shell"] == "bash"
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{version}"\n')
    result = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        check=False,
        cwd=tmp_path,
        text=True,
        # This interpreter stands in for the job's `python`, with packaging installed.
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "GITHUB_REF_NAME": tag},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=60,
    )
    assert (result.returncode == 0) == builds, result.stdout
    assert ("nothing built" in result.stdout) != builds, result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]


def test_the_canary_runs_weekly_read_only_and_keeps_its_report():
    canary = load(ROOT / ".github" / "workflows" / "canary.yml")
    # PyYAML reads the bare key `on` as True.
    triggers = canary.get("on", canary.get(True))
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (schedule,) = triggers["schedule"]
    assert schedule["cron"].split()[2:] == ["*", "*", "1"]  # Mondays, every week
    (job,) = canary["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    runs = [step.get("run") for step in job["steps"]]
    assert "make test-latest" in runs
    (upload,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()"
    assert ".venv-latest/changed-blocks.md" in upload["with"]["path"]


def test_ci_tests_the_oldest_stack():
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert any(step.get("run") == "make test-oldest" for step in ci["jobs"]["oldest"]["steps"])


def test_dependabot_updates_the_pinned_stack_and_the_actions_but_not_the_oldest():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    by_ecosystem = {(u["package-ecosystem"], u["directory"]): u for u in config["updates"]}
    assert {("pip", "/"), ("pip", "/src/docs_tooling"), ("github-actions", "/")} <= set(by_ecosystem)
    assert by_ecosystem["pip", "/"]["exclude-paths"] == ["constraints-oldest.txt"]
