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


def test_there_are_workflows():
    assert WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_nothing_is_writable_by_default(path):
    assert load(path).get("permissions") in ({}, "read-all", {"contents": "read"})


def test_only_the_deploy_job_may_write():
    deploy = deploy_job()
    for name, job in jobs():
        permissions = job.get("permissions", {})
        writes = [scope for scope, level in permissions.items() if level == "write"]
        assert writes == (["contents"] if job is deploy else []), name


def test_every_action_is_pinned_to_a_commit():
    for name, job in jobs():
        for step in job.get("steps", []):
            if "uses" in step and not step["uses"].startswith("./"):
                assert PINNED.fullmatch(step["uses"]), f"{name}: {step['uses']}"


def test_the_deploy_job_is_tested_serialized_and_uncached():
    deploy = deploy_job()
    assert deploy["needs"] == "test"
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
