"""Rerun the Keras 2 / Keras 3 pairs of the migration page and regenerate its
table (docs/migration/results.md). `make migration-table [ARGS=--update-page]`.

The logic lives in docs_tooling.migration_table.
"""

import sys

from docs_tooling.migration_table import main

if __name__ == "__main__":
    sys.exit(main())
