"""The "Examples tested with" line names Keras and the backends the blocks run on in make test."""

from __future__ import annotations

from importlib import metadata

from docs_tooling.hooks import build


def test_the_line_names_the_backends_the_blocks_run_on_with_their_installed_versions():
    line = build.tested_versions()
    named = (
        ("Keras", "keras"),
        ("TensorFlow", "tensorflow"),
        ("JAX", "jax"),
        ("PyTorch", "torch"),
        ("tf-keras", "tf-keras"),
    )
    for label, dist in named:
        try:
            expected = f"{label} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:  # the oldest-stack venv has no JAX or PyTorch
            expected = f"{label} not installed"
        assert expected in line.split(" · "), line


def test_the_line_goes_under_the_title():
    page = build.on_page_markdown("# Title\n\nText.\n", None, None, None)
    line = '<p class="tested-with" data-search-exclude markdown>Examples tested with Python '
    assert page.startswith("# Title\n\n" + line)
    assert page.endswith("</p>\n\n\nText.\n")
