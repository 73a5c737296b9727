"""Doc blocks and their backends: which backends a block claims, and the tabs
that show one output per backend, each checked against its own backend's run.

Runs through pytester like test_doc_block_runner.py; the in-process runs are
TensorFlow's (this process imported it), and one run in a new process is JAX's.
"""

from __future__ import annotations

import textwrap

# Imported before pytester snapshots sys.modules (see test_doc_block_runner.py).
import keras  # noqa: F401
import pytest
from pytest_codeblocks.main import CodeBlock

from docs_tooling import markdown
from docs_tooling.doc_blocks import BACKENDS, block_backends
from docs_tooling.paths import SRC
from tests.tooling.test_doc_block_runner import outcome, run_doc_blocks, write_page


def block(code: str, *marks: str, syntax: str = "python") -> CodeBlock:
    return CodeBlock(code=textwrap.dedent(code), lineno=3, syntax=syntax, marks=list(marks))


def test_a_block_claims_all_three_backends_by_default():
    assert block_backends(block("import keras\nprint(keras.ops.ones(2).shape)\n")) == BACKENDS


@pytest.mark.parametrize(
    "code",
    [
        "import tensorflow as tf\n",
        "from tensorflow import keras\n",
        "import tf_keras\n",
        "x = 1\nimport tensorflow\n",
    ],
)
def test_a_block_that_imports_tensorflow_or_tf_keras_is_tensorflow_only(code):
    assert block_backends(block(code)) == ("tensorflow",)


def test_a_word_that_only_looks_like_tensorflow_claims_all_three():
    assert block_backends(block('print("tensorflow_probability is not imported")\n')) == BACKENDS


def test_shell_blocks_run_once_in_the_tensorflow_run():
    assert block_backends(block("make lint\n", syntax="bash")) == ("tensorflow",)


def test_the_marker_names_the_backends_with_a_reason():
    marked = block("print(1)\n", 'pytest.mark.backends("jax", "torch", reason="about jax.jit")')
    assert block_backends(marked) == ("jax", "torch")
    everywhere = block("import tensorflow\n", 'pytest.mark.backends("tensorflow", "jax", "torch")')
    assert block_backends(everywhere) == BACKENDS


@pytest.mark.parametrize(
    ("mark", "message"),
    [
        ('pytest.mark.backends("tensorflow")', 'needs reason="..."'),
        ('pytest.mark.backends("tensorflow", reason=" ")', 'needs reason="..."'),
        ('pytest.mark.backends("theano", reason="old")', "takes one or more of tensorflow, jax, torch"),
        ('pytest.mark.backends(reason="none named")', "takes one or more"),
    ],
)
def test_a_bad_marker_is_refused(mark, message):
    with pytest.raises(pytest.UsageError, match=message):
        block_backends(block("print(1)\n", mark), "page.md:3")


TABS = """\
    # Tabs

    ```python
    import keras

    print(keras.backend.backend())
    ```

    === "TensorFlow"

        ```text
        tensorflow
        ```

    === "JAX"

        ```text
        {jax}
        ```

    === "PyTorch"

        ```text
        torch
        ```

    <!--pytest.mark.backends("jax", reason="shows a jax.jit trace")-->
    ```python
    print("jax only")
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    jax only
    ```

    ```python
    import tensorflow as tf

    print(int(tf.constant(2)))
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    2
    ```
    """


def test_the_tabs_are_read_one_output_per_backend(tmp_path):
    page = write_page(tmp_path, "tabs.md", TABS.format(jax="jax"))
    (shown,) = markdown.backend_outputs(page).values()
    assert shown.outputs == {"tensorflow": "tensorflow\n", "jax": "jax\n", "torch": "torch\n"}
    assert shown.problems == ()


def test_tensorflow_checks_its_own_tab_and_runs_only_its_blocks(pytester):
    # The JAX tab is wrong: the TensorFlow run does not read it.
    write_page(pytester.path, "tabs.md", TABS.format(jax="not what JAX prints"))
    result = run_doc_blocks(pytester, "--doc-blocks-backend=tensorflow")
    assert outcome(result.report, "PASSED", "tabs.md::line 3"), result.report
    assert outcome(result.report, "PASSED", "tabs.md::line 36"), result.report
    assert "tabs.md::line 28" not in result.report  # claims JAX only
    # With the TensorFlow tab wrong, the block fails with the tab's diff.
    write_page(pytester.path, "tabs.md", TABS.format(jax="jax").replace("    tensorflow\n", "    tf\n", 1))
    result = run_doc_blocks(pytester, "--doc-blocks-backend=tensorflow")
    assert outcome(result.report, "FAILED", "tabs.md::line 3"), result.report
    assert "-tf\n+tensorflow" in result.report, result.report


def test_jax_runs_the_blocks_that_claim_it_against_the_jax_tab(pytester, monkeypatch):
    # make install always brings JAX; the oldest-stack venv (make test-oldest) is TensorFlow-only.
    pytest.importorskip("jax", reason="JAX is not installed (the TensorFlow-only oldest-stack venv)")
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(SRC))  # this checkout's runner, whatever is installed
    write_page(pytester.path, "tabs.md", TABS.format(jax="not what JAX prints"))
    result = run_doc_blocks(pytester, "--doc-blocks-backend=jax", fresh_process=True)
    assert "doc blocks run under the jax backend" in result.report, result.report
    assert outcome(result.report, "FAILED", "tabs.md::line 3 [jax]"), result.report
    assert "-not what JAX prints\n+jax" in result.report, result.report
    assert outcome(result.report, "PASSED", "tabs.md::line 28 [jax]"), result.report
    assert "tabs.md::line 36" not in result.report  # imports TensorFlow


TORCH_TAB = """    === "PyTorch"

        ```text
        torch
        ```
"""
ONE_OUTPUT = """    <!--pytest-codeblocks:expected-output-->
    ```text
    tensorflow
    ```

"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda page: page.replace(TORCH_TAB, ""), "runs under torch too, but no tab shows its output"),
        (
            lambda page: page.replace(
                '\n    === "TensorFlow"', "\n" + ONE_OUTPUT + '    === "TensorFlow"', 1
            ),
            "backend tabs follow this fence, which is no Python block",
        ),
        (
            lambda page: page.replace('=== "JAX"', '=== "Jax"'),
            "tab 'Jax' after a code block names no backend",
        ),
        (
            lambda page: page.replace("print(keras", "import tensorflow\n    print(keras", 1),
            "tabs show output for jax, torch, which the block does not run under",
        ),
    ],
    ids=["a tab missing", "one output and tabs", "a tab of no backend", "a tab of an unclaimed backend"],
)
def test_tabs_that_do_not_match_the_block_fail_collection(pytester, change, message):
    page = change(TABS.format(jax="jax"))
    assert page != TABS.format(jax="jax")
    write_page(pytester.path, "tabs.md", page)
    result = run_doc_blocks(pytester, "--doc-blocks-backend=tensorflow", "--collect-only")
    assert result.returncode != 0
    assert message in result.report, result.report
