"""The `>>>` examples in the package's docstrings run, and print what they show.

The API reference page renders these docstrings, so an example there is a
claim like any block in the guide. Output is compared exactly (no doctest
option flags): what the docstring shows is what the code prints.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import sys

import keras
import pytest

import keras_call_guide


def package_modules(package=keras_call_guide):
    yield package
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        yield importlib.import_module(info.name)


def docstring_examples(modules) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for module in modules for test in finder.find(module) if test.examples]


def run_examples(test: doctest.DocTest) -> None:
    report: list[str] = []
    runner = doctest.DocTestRunner(verbose=False)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)


EXAMPLES = docstring_examples(package_modules())

# The API pages show these examples as the site's TensorFlow build runs them.
# Two cannot run elsewhere: the checkup is TensorFlow-only, and a `fit` step
# traces differently per backend (tests/package/test_tracer.py covers each).
TENSORFLOW_ONLY = ("keras_call_guide.checkup", "keras_call_guide.tracer.trace_train_step")


def backend_param(test: doctest.DocTest):
    other = keras.backend.backend() != "tensorflow"
    reason = "this example is TensorFlow's: the checkup is TensorFlow-only, and fit traces per backend"
    marks = [pytest.mark.skip(reason=reason)] if other and test.name.startswith(TENSORFLOW_ONLY) else []
    return pytest.param(test, id=test.name, marks=marks)


def test_the_package_has_docstring_examples():
    names = {test.name.rsplit(".", 1)[-1] for test in EXAMPLES}
    assert {"TwoLayerClassifier", "DropoutClassifier", "TwoInputClassifier"} <= names


@pytest.mark.parametrize("test", [backend_param(test) for test in EXAMPLES])
def test_docstring_example(test):
    run_examples(test)


def test_a_wrong_example_fails(tmp_path):
    source = tmp_path / "wrong_example.py"
    source.write_text(
        'def add(a, b):\n    """Add.\n\n    >>> add(1, 2)\n    4\n    """\n    return a + b\n',
        encoding="utf-8",
    )
    spec = importlib.util.spec_from_file_location("wrong_example", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["wrong_example"] = module
    try:
        spec.loader.exec_module(module)
        (test,) = docstring_examples([module])
        with pytest.raises(AssertionError, match=r"Expected:\s+4\s+Got:\s+3"):
            run_examples(test)
    finally:
        del sys.modules["wrong_example"]
