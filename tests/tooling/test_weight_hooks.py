"""src/docs_tooling/hooks/weight.py: fewer bytes per page, the same page on screen.

The code-token tests check the promise that matters, on the theme's real
stylesheets and on hand-written ones: every character of every code block
keeps its text and its colour. Nothing here imports TensorFlow.
"""

import html
import json
import re
import sys
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from docs_tooling.doc_blocks import collected_blocks
from docs_tooling.hooks import weight as hooks
from docs_tooling.paths import ROOT

PIECE = re.compile(r'<span class="([\w-]+)">([^<]*)</span>|([^<]+)|(<[^>]*>)')


def drawn(code: str, colours: hooks.TokenColours) -> list[tuple[str, str | None]]:
    """Each character of a code block with the colour it is drawn in.

    Whitespace has no visible colour. A class the hook must not touch keeps
    its own name as its "colour", so renaming or merging it shows up here.
    """
    result = []
    for cls, span_text, text, tag in PIECE.findall(code):
        assert not tag, f"unexpected tag {tag}"
        if cls and not colours.understood(cls):
            colour = f"special {cls}"
        else:
            colour = colours.of(cls) if cls else None
        for char in html.unescape(span_text if cls else text):
            result.append((char, None if char.isspace() else colour))
    return result


THEME = """
:root{--grey:#888;--ink:var(--code-ink);--code-ink:#333;--two-schemes:#111}
[data-md-color-scheme=slate]{--code-ink:#ddd;--two-schemes:#eee}
.md-typeset code{color:var(--md-code-fg-color)}
.highlight .o,.highlight .ow{color:var(--operator)}
.highlight .p{color:var(--punctuation)}
.highlight .k{color:var(--keyword)}
.highlight .n{color:var(--md-code-fg-color)}
.highlight .gd{color:var(--keyword);background:red}
.highlight .x1{color:var(--keyword)}
.highlight .x1{color:var(--grey)}
.highlight .x2{color:var(--two-schemes)}
.md-typeset .x3{margin:0}
.highlight .x3{color:var(--keyword)}
@media print{.highlight .m{color:var(--number)}}
:root{--operator:var(--grey);--punctuation:var(--grey)}
"""


@pytest.fixture
def colours() -> hooks.TokenColours:
    return hooks.token_colours([THEME])


def test_colours_follow_variables_that_have_one_value_everywhere(colours):
    assert colours.of("o") == colours.of("ow") == colours.of("p") == "#888"
    assert colours.of("k") == "var(--keyword)"
    # --two-schemes differs between schemes, so it stays a variable.
    assert colours.of("x2") == "var(--two-schemes)"


def test_rules_inside_at_rules_count(colours):
    assert colours.of("m") == "var(--number)"


def test_a_class_styled_beyond_colour_or_elsewhere_is_special(colours):
    assert not colours.understood("gd")  # also a background
    assert not colours.understood("x1")  # two different colours
    assert not colours.understood("x3")  # styled outside .highlight too
    assert colours.understood("k")


def test_classes_a_script_looks_up_are_special():
    colours = hooks.token_colours([THEME], script_classes={"k"})
    assert not colours.understood("k")
    assert colours.of("k") is None


def test_code_coloured_and_unstyled_classes_are_plain_text(colours):
    assert colours.plain_colour == "var(--md-code-fg-color)"
    assert colours.of("n") is None
    assert colours.of("unknown") is None


def test_neighbours_of_one_colour_become_one_span(colours):
    code = ('<span class="n">f</span><span class="p">(</span><span class="o">**</span>'
            '<span class="n">kw</span><span class="p">)</span>')
    assert hooks.compact_code(code, colours) == 'f<span class="o">(**</span>kw<span class="o">)</span>'


def test_spaces_join_spans_of_one_colour_but_newlines_do_not(colours):
    code = '<span class="o">=</span> <span class="p">(</span>\n<span class="p">)</span>'
    assert hooks.compact_code(code, colours) == '<span class="o">= (</span>\n<span class="o">)</span>'


def test_special_spans_are_kept_as_they_are(colours):
    code = '<span class="gd">-</span><span class="gd">x</span> <span class="k">def</span>'
    assert hooks.compact_code(code, colours) == code


def test_blocks_with_other_markup_are_left_alone(colours):
    nested = '<span class="hll"><span class="k">def</span></span>'
    linked = '<a href="#x">x</a><span class="p">(</span><span class="p">)</span>'
    assert hooks.compact_code(nested, colours) == nested
    assert hooks.compact_code(linked, colours) == linked


def test_entities_pass_through(colours):
    code = '<span class="o">&lt;</span><span class="p">&amp;</span> a &gt; b'
    compacted = hooks.compact_code(code, colours)
    assert compacted == '<span class="o">&lt;&amp;</span> a &gt; b'
    assert drawn(compacted, colours) == drawn(code, colours)


SAMPLE = '''\
import keras


class Model(keras.Model):
    """A docstring."""

    def call(self, inputs, training=None):
        # a comment (1)
        x = inputs * 2.0 + 1
        return {"out": x, f"{len(x)}": [x, -x]}
'''


@pytest.fixture(scope="module")
def theme_colours() -> hooks.TokenColours:
    config = load_config(str(ROOT / "mkdocs.yml"))
    hooks.on_config(config)
    return hooks._colours


def test_with_the_real_theme_every_character_keeps_its_colour(theme_colours):
    code = highlight(SAMPLE, PythonLexer(), HtmlFormatter(nowrap=True))
    compacted = hooks.compact_code(code, theme_colours)
    assert drawn(compacted, theme_colours) == drawn(code, theme_colours)
    assert len(compacted) < 0.75 * len(code)


def test_every_python_block_of_the_docs_keeps_its_colours(theme_colours):
    blocks = [block for page in sorted((ROOT / "docs").rglob("*.md")) for block in collected_blocks(page)
              if block.syntax == "python"]
    assert len(blocks) > 200
    before = after = 0
    for block in blocks:
        code = highlight(block.code, PythonLexer(), HtmlFormatter(nowrap=True))
        compacted = hooks.compact_code(code, theme_colours)
        assert drawn(compacted, theme_colours) == drawn(code, theme_colours), block.code[:200]
        before, after = before + len(code), after + len(compacted)
    assert after < 0.75 * before


def test_with_the_real_theme_operators_and_punctuation_share_a_span(theme_colours):
    assert theme_colours.of("o") == theme_colours.of("p") is not None
    assert theme_colours.of("n") is None


def test_classes_the_theme_script_looks_up_keep_their_spans(theme_colours):
    # Material finds code annotations in comment spans (".c1" and friends).
    for cls in ("c", "c1", "cm"):
        assert not theme_colours.understood(cls)
    code = highlight(SAMPLE, PythonLexer(), HtmlFormatter(nowrap=True))
    assert '<span class="c1"># a comment (1)</span>' in hooks.compact_code(code, theme_colours)


def test_code_blocks_are_marked_for_the_search_plugin_once():
    page = '<div class="language-python highlight"><pre><span></span><code>x</code></pre></div>'
    once = hooks.on_page_content(page, None, None, None)
    assert once.count("data-search-exclude") == 1
    assert hooks.on_page_content(once, None, None, None).count("data-search-exclude") == 1


def test_index_text_loses_tags_keeps_words_apart_and_entities():
    text = "<p>Use <code>training=None</code>.</p><p>Then</p><ul><li>a &lt; b</li><li>c</li></ul>"
    assert hooks.plain_text(text) == "Use training=None. Then a &lt; b c"


def test_the_built_index_is_rewritten(tmp_path):
    (tmp_path / "search").mkdir()
    index = {"config": {"lang": ["en"]},
             "docs": [{"location": "a/", "title": "A", "text": "<p>x <code>y</code></p>"}]}
    (tmp_path / "search" / "search_index.json").write_text(json.dumps(index))
    hooks.on_post_build({"site_dir": str(tmp_path)})
    written = json.loads((tmp_path / "search" / "search_index.json").read_text())
    assert written == {"config": {"lang": ["en"]},
                       "docs": [{"location": "a/", "title": "A", "text": "x y"}]}


def test_a_missing_index_fails_the_build(tmp_path):
    with pytest.raises(PluginError, match="search_index.json is missing"):
        hooks.on_post_build({"site_dir": str(tmp_path)})
