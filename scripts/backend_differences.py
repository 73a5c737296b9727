"""Regenerate docs/reference/backend-differences.md from the pages' backend tabs.

`make backend-differences`; `--check` only reports a stale page. The logic
lives in docs_tooling.backend_differences.
"""

import sys

from docs_tooling.backend_differences import main

if __name__ == "__main__":
    sys.exit(main())
