"""The "Examples tested with" line names Keras and each backend the blocks run on."""

from __future__ import annotations

from importlib import metadata

from docs_tooling.hooks import build


def test_the_line_names_every_backend_with_its_installed_version():
    line = build.tested_versions()
    named = (("Keras", "keras"), ("TensorFlow", "tensorflow"), ("JAX", "jax"), ("PyTorch", "torch"))
    for label, dist in named:
        assert f"{label} {metadata.version(dist)}" in line.split(" · "), line


def test_the_line_goes_under_the_title():
    page = build.on_page_markdown("# Title\n\nText.\n", None, None, None)
    assert page.startswith('# Title\n\n<p class="tested-with" markdown>Examples tested with Python ')
    assert page.endswith("</p>\n\n\nText.\n")
