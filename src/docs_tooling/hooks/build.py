"""MkDocs hooks: the "tested with" line on every page, and a guard that the
docs build never imports TensorFlow or Keras.

The versions come from the installed distributions' metadata, the same
environment `make test` runs the examples in, so the line is generated, not
typed, and it costs no TensorFlow import.
"""

from __future__ import annotations

import platform
import re
import sys
from importlib import metadata

from mkdocs.exceptions import PluginError

# Keras first, then the three backends `make test` runs the blocks under (each block on every
# backend it claims: make test-docs and test-docs-backends), then the legacy tf-keras of the
# migration pages.
DISTRIBUTIONS = (
    ("Keras", "keras"),
    ("TensorFlow", "tensorflow"),
    ("JAX", "jax"),
    ("PyTorch", "torch"),
    ("tf-keras", "tf-keras"),
)
HEADING = re.compile(r"^# .+$", re.MULTILINE)


def tested_versions() -> str:
    parts = [f"Python {platform.python_version()}"]
    for label, dist in DISTRIBUTIONS:
        try:
            parts.append(f"{label} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{label} not installed")
    return " · ".join(parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    # Out of the search index: on every page, its words ("Python", "TensorFlow", which the search
    # also matches for "tensor") would make every page a match for them.
    line = f'<p class="tested-with" data-search-exclude markdown>Examples tested with {tested_versions()}</p>'
    match = HEADING.search(markdown)
    if match is None:
        return f"{line}\n\n{markdown}"
    end = match.end()
    return f"{markdown[:end]}\n\n{line}\n{markdown[end:]}"


def on_post_build(config) -> None:
    imported = [name for name in ("tensorflow", "keras", "tf_keras") if name in sys.modules]
    if imported:
        raise PluginError(
            f"The docs build imported {', '.join(imported)}; it must not (slow, and "
            "TensorFlow can crash the build). Check mkdocstrings options and hooks."
        )
