"""MkDocs hook: each table stands in a block the browser can leave unrendered off screen.

docs/assets/extra.css gives the blocks of a page's content `content-visibility: auto`,
so the browser lays out and paints a block only when it comes near the screen. A
table cannot be such a block itself (CSS applies no size containment to a table
box), and the theme wraps each table in its scrolling `<div>` only after the page
has loaded, by script, so the first layout would still measure every table. This
hook wraps each table in a plain `<div class="kcg-table">` when the page is built;
the theme's wrapper then goes inside it. Measured with Lighthouse on the page of
tables, reference/backend-differences/ (docs/maintainers/benchmarks.md).
"""

from __future__ import annotations

import re

# Python-Markdown writes a bare <table> for every Markdown table; code blocks escape their "<".
TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)
WRAPPER = '<div class="kcg-table">'


def on_page_content(html: str, page, config, files) -> str:
    return TABLE.sub(lambda table: f"{WRAPPER}{table[0]}</div>", html)
