"""Every guide page's notebook, run top to bottom in a Jupyter kernel, prints what its page shows.

The notebook is the one the site build publishes (docs_tooling.notebooks,
through hooks/notebooks.py); docs_tooling.notebook_check runs it offline with
nbclient and holds each cell to its block by the doc-block runner's rules.
`make test-notebooks` runs this file in two processes.
"""

from pathlib import Path

import pytest

from docs_tooling import notebook_check
from docs_tooling.paths import DOCS

# Found by glob, not listed: a new or split page gets its notebook checked without an edit here.
PAGES = sorted((DOCS / "guide").rglob("*.md"))


def test_there_are_guide_pages():
    assert len(PAGES) > 10


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(DOCS).as_posix())
def test_the_notebook_prints_what_the_page_shows(page: Path, kernels):
    failure = None
    try:
        notebook_check.check_page(page, kernels)
    except notebook_check.NotebookFailed as error:
        failure = str(error)
    if failure is not None:  # outside the except: the report shows the failure once, not chained
        pytest.fail(failure, pytrace=False)
