"""The tooling's tests run the doc-block runner on pages of their own (pytester)."""

pytest_plugins = ["pytester"]
