"""The "Examples tested with" line names Keras and the backend the blocks run on in make test."""

from __future__ import annotations

from importlib import metadata

from docs_tooling.hooks import build


def test_the_line_names_the_backend_the_blocks_run_on_with_its_installed_version():
    line = build.tested_versions()
    named = (("Keras", "keras"), ("TensorFlow", "tensorflow"), ("tf-keras", "tf-keras"))
    for label, dist in named:
        assert f"{label} {metadata.version(dist)}" in line.split(" · "), line
    # make test does not run the pages under JAX or PyTorch yet (issue #15).
    assert "JAX" not in line and "PyTorch" not in line, line


def test_the_line_goes_under_the_title():
    page = build.on_page_markdown("# Title\n\nText.\n", None, None, None)
    assert page.startswith('# Title\n\n<p class="tested-with" markdown>Examples tested with Python ')
    assert page.endswith("</p>\n\n\nText.\n")
