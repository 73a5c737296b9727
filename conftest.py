# Loads the Markdown doc-block runner (src/docs_tooling/doc_blocks.py) for every
# pytest run in this repository, so `pytest --doc-blocks docs` works from the root.
pytest_plugins = ["docs_tooling.doc_blocks"]
