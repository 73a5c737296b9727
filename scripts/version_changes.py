"""Run every doc block on the installed stack and compare it with oldest-outputs.json
(`make test-oldest [UPDATE=1]`), or report what changed (`make test-latest`).

The logic lives in docs_tooling.version_changes.
"""

import sys

from docs_tooling.version_changes import main

if __name__ == "__main__":
    sys.exit(main())
