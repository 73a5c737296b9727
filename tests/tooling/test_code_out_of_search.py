"""src/docs_tooling/hooks/code_out_of_search.py: code blocks stay out of the search index."""

from material.plugins.search.plugin import SearchIndex

from docs_tooling.hooks import code_out_of_search as hook


def test_code_blocks_are_marked_for_the_search_plugin_once():
    page = '<div class="language-python highlight"><pre><span></span><code>x</code></pre></div>'
    once = hook.on_page_content(page, None, None, None)
    assert once.count("data-search-exclude") == 1
    assert hook.on_page_content(once, None, None, None).count("data-search-exclude") == 1


def test_a_plain_fence_is_marked_too():
    page = '<div class="highlight"><pre><span></span><code>x</code></pre></div>'
    assert "data-search-exclude" in hook.on_page_content(page, None, None, None)


def test_the_search_plugin_leaves_marked_code_out_of_the_index():
    """The attribute does what the hook counts on, in the installed search plugin."""
    content = hook.on_page_content(
        '<h1 id="a-page">A page</h1><p>prose words</p><div class="language-python highlight">'
        "<pre><span></span><code>secret_code_token = 1</code></pre></div>",
        None,
        None,
        None,
    )

    class Page:  # the little of a page the search index reads
        title, url, toc, meta = "A page", "a/", [], {}

    Page.content = content
    index = SearchIndex(lang=["en"], separator=r"[\s\-]+", pipeline=[], fields={})
    index.add_entry_from_context(Page())
    text = " ".join(entry["text"] for entry in index.entries)
    assert "prose words" in text
    assert "secret_code_token" not in text
