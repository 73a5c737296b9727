"""Where the repository's parts are. ROOT is defined here and nowhere else."""

from __future__ import annotations

from pathlib import Path

# src/docs_tooling/paths.py -> the repository root.
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SRC = ROOT / "src"
PACKAGE = SRC / "keras_call_guide"
MKDOCS_YML = ROOT / "mkdocs.yml"
README = ROOT / "README.md"


def display_path(path: Path) -> str:
    """`path` relative to the repository root when it is inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
