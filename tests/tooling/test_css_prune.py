"""The stylesheet pruner (tools/mkdocs_css_prune.py) on small hand-written sites.

Each test writes a few HTML pages, a theme script and a stylesheet into a
temporary site folder, runs the pruner the way the build hook does, and
reads back what it wrote. No browser and no TensorFlow: the built site's
appearance is compared in tests/browser/test_site.py.
"""

import logging
import re
import sys
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from docs_tooling.hooks import css_prune as mkdocs_css_prune

MAIN = "assets/stylesheets/main.min.css"
BUNDLE = "assets/javascripts/bundle.test.min.js"
OWN = "assets/extra.css"
PALETTE = [
    {"scheme": "default", "primary": "deep orange", "accent": "indigo"},
    {"scheme": "slate", "primary": "deep orange", "accent": "indigo"},
]


def page(body="", classes="used", dir="ltr", scheme="default", depth=0, head=""):
    up = "../" * depth
    return (f'<!doctype html><html lang="en"><head>'
            f'<link rel="stylesheet" href="{up}{MAIN}"><link rel="stylesheet" href="{up}{OWN}">{head}</head>'
            f'<body dir="{dir}" data-md-color-scheme="{scheme}" data-md-color-primary="deep-orange" '
            f'data-md-color-accent="indigo"><div class="{classes}">{body}</div>'
            f'<script src="{up}{BUNDLE}"></script></body></html>')


def make_site(root: Path, css: str, pages=None, script="", own_css=".own{color:red}") -> Path:
    site = root / "site"
    for path, html in (pages or {"index.html": page()}).items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(html, encoding="utf-8")
    for path, text in ((MAIN, css), (BUNDLE, script), (OWN, own_css)):
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text, encoding="utf-8")
    return site


def linked_main(site: Path, page_path="index.html") -> str:
    """The site path of the main stylesheet a page links now."""
    html = (site / page_path).read_text(encoding="utf-8")
    (href,) = re.findall(r'href="(?:\.\./)*/?(assets/stylesheets/main\.[^"]*)"', html)
    return href


def prune(site: Path, palette=PALETTE) -> str:
    mkdocs_css_prune.prune_site(site, {OWN}, palette=palette, site_url="https://example.org/")
    return (site / linked_main(site)).read_text(encoding="utf-8")


def pruned(tmp_path, css, **site) -> str:
    return prune(make_site(tmp_path, css, **site))


# --- Classes ---------------------------------------------------------------

def test_rule_for_a_class_no_page_uses_is_dropped(tmp_path):
    assert pruned(tmp_path, ".used{color:red}.unused{color:blue}") == ".used{color:red}"


def test_rule_for_a_class_a_page_uses_is_kept(tmp_path):
    css = ".md-typeset .used>p{margin:0 auto}"
    assert pruned(tmp_path, css, pages={"index.html": page(classes="md-typeset used")}) == css


def test_class_used_only_on_another_page_is_kept(tmp_path):
    pages = {"index.html": page(classes="a"), "guide/deep/index.html": page(classes="b", depth=2),
             "404.html": page(classes="c")}
    assert pruned(tmp_path, ".a{color:red}.b{color:blue}.c{color:green}.d{color:black}", pages=pages) == \
        ".a{color:red}.b{color:blue}.c{color:green}"


def test_selector_list_keeps_only_its_matching_selectors(tmp_path):
    css = ".unused,.used p,.other .used{color:red}"
    assert pruned(tmp_path, css) == ".used p{color:red}"


def test_class_inside_functional_pseudo_classes_never_causes_a_drop(tmp_path):
    css = (".used:not(.unused){color:red}:is(.unused,.nothing) p{color:blue}"
           ":where(.nothing)>a{color:green}p:has(>.unused){color:black}")
    assert pruned(tmp_path, css) == css


def test_class_a_script_string_adds_is_kept(tmp_path):
    css = ".md-tooltip{opacity:0}.md-unknown{opacity:1}"
    script = 'function t(e){e.classList.add("md-tooltip")}'
    assert pruned(tmp_path, css, script=script) == ".md-tooltip{opacity:0}"


def test_strings_after_a_regular_expression_with_quotes_are_read(tmp_path):
    # Taken for a division, the slash would leave the regular expression's
    # quote to open a string that swallows the code up to "tooltip".
    css = ".tooltip{opacity:0}.other{opacity:1}"
    script = """function t(e){return/["']/.test(e)&&e.classList.add("tooltip")}"""
    assert pruned(tmp_path, css, script=script) == ".tooltip{opacity:0}"


def test_hyphenated_word_anywhere_in_the_script_is_kept(tmp_path):
    # Not a literal, but no JavaScript name has a hyphen: it is text.
    css = ".md-in-regex{opacity:0}.md-nowhere{opacity:1}"
    assert pruned(tmp_path, css, script="x=/md-in-regex/.test(y)") == ".md-in-regex{opacity:0}"


def test_class_in_a_template_literal_is_kept(tmp_path):
    script = "x=`<li class=\"md-search-result__item ${y}\">`"
    assert pruned(tmp_path, ".md-search-result__item{margin:0}", script=script) == \
        ".md-search-result__item{margin:0}"


def test_dynamic_template_prefix_keeps_every_class_it_can_build(tmp_path):
    css = ".md-tag--python{color:red}.md-tag--{color:blue}.md-tagx{color:green}.md-tag{color:black}"
    script = "x({class:`md-tag-icon md-tag--${a[c]}`})"
    assert pruned(tmp_path, css, script=script) == \
        ".md-tag--python{color:red}.md-tag--{color:blue}"


def test_class_in_a_page_inline_script_is_kept(tmp_path):
    pages = {"index.html": page(head='<script>document.body.classList.add("md-inline")</script>')}
    assert pruned(tmp_path, ".md-inline{color:red}.md-other{color:blue}", pages=pages) == \
        ".md-inline{color:red}"


def test_vendor_prefixed_selector_list_is_never_split(tmp_path):
    # Chromium drops a whole list with a pseudo it does not know; splitting
    # it would let the rest apply where it did not before.
    css = ".used::-moz-selection,.unused::selection{color:red}"
    assert pruned(tmp_path, css) == css


# --- At-rules --------------------------------------------------------------

def test_empty_media_block_is_dropped_and_the_others_keep_their_prelude(tmp_path):
    css = ("@media screen and (min-width:76.25em){.unused{color:red}}"
           "@media print{.used{color:blue}.unused{color:red}}"
           "@supports (display:grid){@media (max-width:10em){.used{display:grid}}.unused{color:red}}")
    assert pruned(tmp_path, css) == \
        "@media print{.used{color:blue}}@supports(display:grid){@media(max-width:10em){.used{display:grid}}}"


def test_emptied_named_layer_keeps_its_place_in_the_layer_order(tmp_path):
    assert pruned(tmp_path, "@layer base{.unused{color:red}}@layer{.unused{color:red}}") == "@layer base;"


def test_font_face_and_used_keyframes_are_kept_as_they_are(tmp_path):
    css = ('@charset "UTF-8";@import url(x.css) print;'
           "@font-face{font-family:Icons;src:url(icons.woff2) format(\"woff2\")}"
           "@keyframes spin{0%{transform:rotate(0)}to{transform:rotate(1turn)}}"
           "@page{margin:1cm}.used{animation:spin 1s;font-family:Icons}")
    assert pruned(tmp_path, css) == css


def test_keyframes_nothing_names_are_dropped(tmp_path):
    css = ("@keyframes spin{to{opacity:1}}@keyframes fade{to{opacity:0}}@keyframes pulse{to{opacity:0}}"
           ".used{animation-name:spin}.unused{animation:fade 1s}")
    # `pulse` is named by the script, `fade` only by a dropped rule.
    assert pruned(tmp_path, css, script='e.style.animationName="pulse"') == \
        "@keyframes spin{to{opacity:1}}@keyframes pulse{to{opacity:0}}.used{animation-name:spin}"


# --- Attributes ------------------------------------------------------------

def test_right_to_left_selectors_are_dropped_on_a_left_to_right_site(tmp_path):
    css = '[dir=rtl] .used{margin-left:1em}[dir="rtl"] .used{float:left}[dir=ltr] .used{margin-right:1em}'
    assert pruned(tmp_path, css) == "[dir=ltr] .used{margin-right:1em}"


def test_right_to_left_selectors_are_kept_when_a_page_is_right_to_left(tmp_path):
    css = '[dir=rtl] .used{margin-left:1em}[dir="rtl"] .used{float:left}'
    pages = {"index.html": page(), "ar/index.html": page(dir="rtl", depth=1)}
    assert pruned(tmp_path, css, pages=pages) == css


def test_palette_values_nothing_can_switch_to_are_dropped(tmp_path):
    css = ("[data-md-color-primary=red]{--md-primary-fg-color:#f00}"
           "[data-md-color-primary=deep-orange]{--md-primary-fg-color:#ff6e42}"
           "[data-md-color-accent=pink]{--md-accent-fg-color:pink}"
           "[data-md-color-scheme=slate]{color-scheme:dark}"
           "[data-md-color-scheme=dracula]{color-scheme:dark}"
           "[data-md-color-switching] *{transition:none}"
           ".used{color:var(--md-primary-fg-color);background:var(--md-accent-fg-color)}")
    # No page is slate: the palette toggle switches to it (mkdocs.yml's palette).
    assert pruned(tmp_path, css) == (
        "[data-md-color-primary=deep-orange]{--md-primary-fg-color:#ff6e42}"
        "[data-md-color-scheme=slate]{color-scheme:dark}"
        "[data-md-color-switching] *{transition:none}"
        ".used{color:var(--md-primary-fg-color);background:var(--md-accent-fg-color)}")


def test_palette_value_only_in_the_config_is_kept(tmp_path):
    css = "[data-md-color-primary=teal] .used{color:teal}"
    site = make_site(tmp_path, css)
    assert prune(site, palette=[{"scheme": "default", "primary": "teal"}]) == css


def test_other_attribute_selectors_are_kept(tmp_path):
    css = '[data-md-state=lock] .used{overflow:hidden}a[href^="http"]{color:red}[hidden]{display:none}'
    assert pruned(tmp_path, css) == css


# --- Custom properties -----------------------------------------------------

def test_custom_properties_nothing_uses_are_dropped(tmp_path):
    css = (":root{--unused:1px;--used:2px;--via:var(--trans);--trans:3px;"
           "--orphan:var(--orphan-target);--orphan-target:4px;--js:5px;--js-target:6px;--styled:7px}"
           ".used{margin:var(--used);padding:var(--via)}.unused{margin:var(--unused)}")
    script = 'e.style.setProperty("--js",x);getComputedStyle(e).getPropertyValue("--md-unrelated")'
    pages = {"index.html": page(body='<span style="width:var(--styled)"></span>')}
    assert pruned(tmp_path, css, script=script, pages=pages) == (
        ":root{--used:2px;--via:var(--trans);--trans:3px;--js:5px;--styled:7px}"
        ".used{margin:var(--used);padding:var(--via)}")


def test_custom_property_named_in_script_keeps_what_it_uses(tmp_path):
    css = ":root{--md-tooltip-x:var(--base);--base:1px;--spare:2px}"
    assert pruned(tmp_path, css, script='e.style.setProperty("--md-tooltip-x","2px")') == \
        ":root{--md-tooltip-x:var(--base);--base:1px}"


def test_custom_property_used_by_our_own_stylesheet_is_kept(tmp_path):
    css = ":root{--md-primary-fg-color:#ff6e42;--spare:1px}"
    assert pruned(tmp_path, css, own_css=".own{color:var(--md-primary-fg-color)}") == \
        ":root{--md-primary-fg-color:#ff6e42}"


def test_rule_left_with_no_declaration_is_dropped(tmp_path):
    assert pruned(tmp_path, ".used{--spare:1px}p{color:red}") == "p{color:red}"


# --- The files -------------------------------------------------------------

def test_source_map_comment_and_file_are_removed(tmp_path):
    site = make_site(tmp_path, ".used{color:red}\n/*# sourceMappingURL=main.min.css.map */\n")
    (site / (MAIN + ".map")).write_text("{}", encoding="utf-8")
    assert prune(site) == ".used{color:red}"
    assert not (site / (MAIN + ".map")).exists()
    assert not (site / MAIN).exists()


def test_comments_and_whitespace_are_minified_away(tmp_path):
    css = "/* theme */\n.used   .x ,\n.used > p {\n  color : red ;\n  margin: 0  auto\n}\n"
    pages = {"index.html": page(classes="used x")}
    assert pruned(tmp_path, css, pages=pages) == ".used .x,.used > p{color:red;margin:0 auto}"


def test_our_own_stylesheet_is_left_alone(tmp_path):
    own = "/* ours */\n.never-used { color: red }\n"
    site = make_site(tmp_path, ".used{color:red}", own_css=own)
    prune(site)
    assert (site / OWN).read_text(encoding="utf-8") == own


def test_unparsable_stylesheet_fails_the_build_naming_the_file(tmp_path):
    site = make_site(tmp_path, ".used{color:red}}")
    with pytest.raises(PluginError, match=r"assets/stylesheets/main\.min\.css"):
        prune(site)


def test_missing_linked_stylesheet_fails_the_build(tmp_path):
    site = make_site(tmp_path, ".used{color:red}")
    (site / MAIN).unlink()
    with pytest.raises(PluginError, match=r"main\.min\.css.*not in the built site"):
        prune(site)


def test_pruning_twice_gives_the_same_bytes(tmp_path):
    css = ('@charset "UTF-8";:root{--a:var(--b);--b:1px;--c:2px}'
           "@media screen{.used,.unused{margin:var(--a)}[dir=rtl] .used{float:left}}"
           "@keyframes spin{to{opacity:1}}.used{animation:spin 1s}")
    site = make_site(tmp_path, css)
    once = prune(site).encode("utf-8")
    assert prune(site).encode("utf-8") == once
    assert once == ('@charset "UTF-8";:root{--a:var(--b);--b:1px}@media screen{.used{margin:var(--a)}}'
                    "@keyframes spin{to{opacity:1}}.used{animation:spin 1s}").encode("utf-8")


def test_hook_reads_the_mkdocs_config_and_logs_the_sizes(tmp_path, caplog):
    docs = tmp_path / "docs"
    (docs / "assets").mkdir(parents=True)
    (docs / OWN).write_text(".own{color:red}", encoding="utf-8")
    # 404.html links the stylesheets from the site root, as Material writes it.
    pages = {"index.html": page(), "404.html": page().replace(f'href="{MAIN}"', f'href="/{MAIN}"')}
    site = make_site(tmp_path, ".used{color:red}.unused{color:blue}", pages=pages)
    config = {"site_dir": str(site), "docs_dir": str(docs), "site_url": "https://example.org/",
              "extra_css": ["assets/_mkdocstrings.css", OWN], "theme": {"palette": PALETTE}}
    with caplog.at_level(logging.INFO):
        mkdocs_css_prune.on_post_build(config)
    new = linked_main(site)
    assert (site / new).read_text(encoding="utf-8") == ".used{color:red}"
    assert f'href="/{new}"' in (site / "404.html").read_text(encoding="utf-8")
    assert f"{MAIN}: 35 -> 16 bytes, as {new}" in caplog.text


def test_pruned_file_is_named_by_its_content_and_every_link_follows(tmp_path):
    css = ".used{color:red}.unused{color:blue}"
    pages = {"index.html": page(), "a/index.html": page(depth=1),
             "b/index.html": page(depth=1).replace('"', ""),  # minified HTML: unquoted
             "404.html": page().replace(f'href="{MAIN}"', f'href="/{MAIN}"')}
    site = make_site(tmp_path, css, pages=pages)
    assert prune(site) == ".used{color:red}"
    new = linked_main(site)
    assert re.fullmatch(r"assets/stylesheets/main\.[0-9a-f]{8}\.min\.css", new)
    assert (site / new).is_file() and not (site / MAIN).exists()
    assert f'href="../{new}"' in (site / "a/index.html").read_text(encoding="utf-8")
    assert f"href=../{new}>" in (site / "b/index.html").read_text(encoding="utf-8")
    assert f'href="/{new}"' in (site / "404.html").read_text(encoding="utf-8")
    # Our own stylesheet keeps its name, and the text of a page is not touched.
    assert f'href="{OWN}"' in (site / "index.html").read_text(encoding="utf-8")


def test_a_different_pruning_gets_a_different_name(tmp_path):
    css = ".used{color:red}.other{color:blue}"
    first = make_site(tmp_path / "one", css)
    second = make_site(tmp_path / "two", css, pages={"index.html": page(classes="used other")})
    prune(first)
    prune(second)
    assert linked_main(first) != linked_main(second)


def test_a_hash_the_theme_put_in_the_name_is_replaced_not_added_to():
    assert mkdocs_css_prune.content_hashed("assets/stylesheets/main.57a0d79d.min.css", b"x") == \
        "assets/stylesheets/main.2d711642.min.css"
    assert mkdocs_css_prune.content_hashed("assets/_mkdocstrings.css", b"x") == \
        "assets/_mkdocstrings.2d711642.css"
    assert mkdocs_css_prune.content_hashed("assets/_mkdocstrings.2d711642.css", b"x") == \
        "assets/_mkdocstrings.2d711642.css"
