"""src/docs_tooling/hooks/offscreen_tables.py: each table stands in a block of its own."""

from docs_tooling.hooks import offscreen_tables as hook


def test_each_table_is_wrapped_once_and_the_rest_is_left_alone():
    page = (
        "<p>Before</p><table>\n<thead><tr><th>A</th></tr></thead>\n</table>"
        '<div class="language-python highlight"><pre><code>&lt;table&gt;</code></pre></div>'
        "<table><tr><td>B</td></tr></table>"
    )
    wrapped = hook.on_page_content(page, None, None, None)
    assert wrapped == (
        '<p>Before</p><div class="kcg-table"><table>\n<thead><tr><th>A</th></tr></thead>\n</table></div>'
        '<div class="language-python highlight"><pre><code>&lt;table&gt;</code></pre></div>'
        '<div class="kcg-table"><table><tr><td>B</td></tr></table></div>'
    )
