# Loads the Markdown doc-block runner (tests/doc_blocks.py) for every pytest
# run in this repository, so `pytest --doc-blocks docs` works from the root.
pytest_plugins = ["tests.doc_blocks"]
