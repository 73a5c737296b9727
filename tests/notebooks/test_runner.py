"""docs_tooling.notebook_check on a small page of its own, in real kernels: forked and new.

The page needs no TensorFlow, so the new kernel starts in a second or two.
"""

from pathlib import Path

import pytest

from docs_tooling import notebook_check

PAGE = """\
# A small page

```python
import os

print("empty directory:", os.listdir("."))
with open("note.txt", "w") as file:
    file.write("x")
```
<!--pytest-codeblocks:expected-output-->
```text
empty directory: []
```

```python
import os

print("empty again:", os.listdir("."))
1 + 1
```
<!--pytest-codeblocks:expected-output-->
```text
empty again: []
```

```bash
echo from bash
```
<!--pytest-codeblocks:expected-output-->
```text
from bash
```
"""


def write(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def run(page: Path, kernels) -> list[str]:
    notebook = notebook_check.build(page, docs_path="guide/page.md")
    notebook_check.execute(notebook, page, kernels)
    return notebook_check.compare(notebook, page)


@pytest.mark.parametrize("forked", [True, False], ids=["forked kernel", "new kernel"])
def test_a_page_runs_as_a_notebook_and_matches(tmp_path, kernels, forked):
    assert run(write(tmp_path, PAGE), kernels if forked else None) == []


def test_a_wrong_shown_output_fails_the_notebook(tmp_path, kernels):
    failures = run(write(tmp_path, PAGE.replace("```text\nfrom bash", "```text\nfrom zsh")), kernels)
    assert len(failures) == 1 and "page.md:26" in failures[0] and "+from bash" in failures[0], failures


def test_a_cell_that_raises_fails_the_notebook(tmp_path, kernels):
    failures = run(write(tmp_path, PAGE.replace('file.write("x")', "file.write(undefined)")), kernels)
    assert len(failures) == 1 and "page.md:3: the notebook cell raised NameError" in failures[0], failures
