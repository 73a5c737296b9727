"""The page of what changed across Keras 3 releases is exactly the record and the pages.

`make test-oldest` runs every block on the oldest supported stack and fails
unless each prints its shown output or its row of oldest-outputs.json. These
tests, on the pinned stack only, close the loop without installing the oldest
stack: the committed page must be the one rendered from that record and the
outputs the pages show (which the pinned run checks), every row must still
name a block, and the declared ranges must begin at the tested oldest stack.
"""

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

from docs_tooling import version_changes
from docs_tooling.paths import MKDOCS_YML, ROOT

ITEMS = version_changes.page_blocks()
RECORD = version_changes.load_record()


def test_the_page_is_rendered_from_the_record_and_the_shown_outputs():
    pinned = version_changes.pinned_stack(version_changes.CONSTRAINTS)
    committed = version_changes.PAGE.read_text(encoding="utf-8")
    assert committed == version_changes.render(ITEMS, RECORD, pinned), (
        "docs/reference/keras3-releases.md is stale: run `make versions-page` (or, after a block "
        "changed, `make test-oldest UPDATE=1`) and commit the result"
    )


def test_every_recorded_row_names_a_block_that_runs():
    assert version_changes.stale_rows(ITEMS, RECORD) == []


def test_the_record_was_made_on_the_oldest_constraints():
    assert RECORD["stack"] == version_changes.pinned_stack(version_changes.CONSTRAINTS_OLDEST)


def test_a_recorded_row_differs_from_the_shown_output():
    by_key = {item.key: item for item in ITEMS}
    for key, output in RECORD["rows"].items():
        assert not version_changes.prints_as_shown(by_key[key], output), key


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]
    ]
    return {
        r.name.replace("-", "_"): r for r in requirements if r.name.replace("-", "_") in version_changes.STACK
    }


@pytest.mark.parametrize("name", version_changes.STACK)
def test_the_declared_range_is_the_tested_range(name):
    requirement = declared()[name]
    oldest = version_changes.pinned_stack(version_changes.CONSTRAINTS_OLDEST)[name]
    pinned = version_changes.pinned_stack(version_changes.CONSTRAINTS)[name]
    lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    assert lower == [oldest], f"{requirement}: the lower bound is not the oldest tested, {oldest}"
    assert requirement.specifier.contains(Version(pinned)), f"{requirement} excludes the pinned {pinned}"


def test_the_page_is_in_the_nav():
    assert "reference/keras3-releases.md" in MKDOCS_YML.read_text(encoding="utf-8")


# --- the comparison, on pages made up for the test --------------------------------------------------


def page(tmp_path, *blocks):
    text = ""
    for code, shown in blocks:
        text += f"## Section {code}\n\n```python\n{code}\n```\n"
        text += f"<!--pytest-codeblocks:expected-output-->\n```text\n{shown}\n```\n\n"
    path = tmp_path / "page.md"
    path.write_text("# Title\n\n" + text, encoding="utf-8")
    return version_changes.page_blocks([path])


def test_each_disagreement_with_the_record_is_reported(tmp_path):
    now_same, unrecorded, as_recorded, not_as_recorded = page(
        tmp_path, ("print(1)", "1"), ("print(2)", "2"), ("print(3)", "3"), ("print(4)", "4")
    )
    outputs = {now_same.key: "1\n", unrecorded.key: "0\n", as_recorded.key: "0\n", not_as_recorded.key: "0\n"}
    rows = {now_same.key: "0\n", as_recorded.key: "0\n", not_as_recorded.key: "5\n", "gone.md:0123:0": "x\n"}
    found = version_changes.problems(
        [now_same, unrecorded, as_recorded, not_as_recorded], outputs, {"stack": {}, "rows": rows}
    )
    assert [problem.split(": ", 1)[1].splitlines()[0] for problem in found] == [
        "recorded as a change, but now prints the output shown",
        "prints something other than the page shows:",
        "prints something other than its recorded row:",
        "row gone.md:0123:0 names no block the tests run (edited, moved or removed)",
    ]
    assert found[1].startswith(unrecorded.where) and found[2].startswith(not_as_recorded.where)


def test_the_record_holds_only_the_blocks_that_differ(tmp_path):
    same, different = page(tmp_path, ("print(1)", "1"), ("print(2)", "2"))
    record = version_changes.make_record([same, different], {same.key: "1\n", different.key: "3\n"}, {})
    assert record["rows"] == {different.key: "3\n"}


def test_a_block_that_raises_is_recorded_by_its_exception(tmp_path):
    (item,) = page(tmp_path, ("print('before')\nraise ValueError('no\\nmore')", "before"))
    assert version_changes.run_block(item) == "before\nraised ValueError: no\n"


def test_a_row_links_its_block_under_its_section():
    item = next(i for i in ITEMS if i.page == "docs/guide/masks.md")
    behaviour = version_changes._behaviour(item)
    assert behaviour.startswith("[Masks") and "(../guide/masks.md#" in behaviour, behaviour


def test_the_canary_report_lists_only_the_changed_blocks(tmp_path):
    same, changed = page(tmp_path, ("print(1)", "1"), ("print(2)", "2"))
    report = tmp_path / "changed-blocks.md"
    listed = version_changes.write_report([same, changed], {same.key: "1\n", changed.key: "7\n"}, report)
    assert listed == [changed]
    text = report.read_text(encoding="utf-8")
    assert "1 of 2 blocks print something other than the page shows." in text
    assert f"## {changed.where}" in text and f"## {same.where}" not in text
    assert "printed:\n```text\n7\n```" in text


def test_blocks_that_do_not_run_on_tensorflow_stay_out_of_the_record(tmp_path):
    # The oldest stack is recorded on TensorFlow; a JAX-only block has no row there to compare.
    path = tmp_path / "page.md"
    path.write_text(
        "# Title\n\n```python\nprint(1)\n```\n<!--pytest-codeblocks:expected-output-->\n```text\n1\n```\n\n"
        '<!--pytest.mark.backends("jax", reason="calls jax.jit")-->\n'
        "```python\nprint(2)\n```\n<!--pytest-codeblocks:expected-output-->\n```text\n2\n```\n",
        encoding="utf-8",
    )
    assert [item.block.code for item in version_changes.page_blocks([path])] == ["print(1)\n"]
