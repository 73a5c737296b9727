"""The tooling behind the keras-call-guide site, kept out of the package's wheel.

- `paths`: where the repository's parts are (ROOT is defined here, once).
- `markdown`: the one reader of a page's fenced code blocks.
- `doc_blocks`: the pytest plugin that runs every code block of the docs.
- `hooks`: the MkDocs build hooks (mkdocs.yml names their files).
- `browser`: build, serve and visit the site in Chromium (tests and bench).
- `migration_table`: the Keras 2 / Keras 3 results table of the migration page.
"""
