"""MkDocs hook: cut the theme's and plugins' stylesheets down to the rules
that can apply to this site.

Why: every first visit of a page downloads Material's main and palette
stylesheets and mkdocstrings' `assets/_mkdocstrings.css`, and the page-weight
target (docs/maintainers/benchmarks.md) allows 500 KB for the whole visit,
search index included. Most of that CSS styles features this site never
renders: blog posts, tags, annotations, right-to-left layouts, repository
facts, colour palettes and admonition types it does not use.

What: after the build, every stylesheet the built pages link that is not one
of our own (the `extra_css` files in docs/) is parsed with tinycss2 and
written minified and without comments (so without its sourceMappingURL; the
.map files go too), under a name that carries a hash of its new content, and
every page's link follows the new name. It keeps only:

* the selectors that can match. A selector cannot match if it needs a class
  nothing can produce: no `class` attribute of any built HTML file has it,
  and it is no word of a string or template literal of the theme's
  JavaScript (the bundle and the pages' inline scripts), which adds classes
  at run time, nor any hyphenated word of that script. A template fragment
  such as `md-tag--${...}` counts as every class starting with `md-tag--`.
  Nor can a selector match if it needs `[dir=rtl]` on a site with no
  right-to-left page, or a `data-md-color-primary`, `-accent` or `-scheme`
  value that no page carries and the palette in mkdocs.yml cannot switch to.
  A rule keeps the selectors of its list that can match, and goes when none
  can;
* the custom properties (`--name: ...`) something uses: a kept declaration
  that is not itself a custom property, then the custom properties those
  name, transitively; or a page's inline style; or the theme's script;
* @keyframes whose name something still mentions, and every @font-face,
  @property, @page, @import and @charset rule as it was. @media, @supports,
  @layer and @container blocks are pruned inside, and go when left empty.

Why no reader can see a difference: a selector is only dropped when it needs
something no element of any page can ever have, even after the theme's
script has run, so it matches nothing; a custom property only when nothing
that is applied reads it; keyframes only when no animation names them.
Classes inside functional pseudo-classes never cause a drop, since a class
missing there need not stop a match (`:not(.x)` then matches more,
`:is(.x, p)` still matches p). A selector list with a vendor-prefixed pseudo
(`::-moz-selection`) is kept whole: a browser that does not know the pseudo
ignores the whole rule, and removing its neighbours would let it apply.
What this cannot see is a class the script builds from something other than
a literal; tests/browser/test_site.py would: it compares the computed style
of every element of representative pages, in both colour schemes, at desktop
and mobile width, with search results, a hovered copy button and the mobile
drawer open, between these stylesheets and the installed originals.

Anything unexpected (a stylesheet that does not parse, a linked stylesheet
that is not in the site, a script whose literals cannot be read) fails the
build instead of being skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import tinycss2
from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger("css_prune")

# At-rules whose blocks hold style rules that are pruned like top-level ones.
GROUPING_AT_RULES = {"media", "supports", "layer", "container"}
KEYFRAMES_AT_RULES = {"keyframes", "-webkit-keyframes", "-moz-keyframes", "-o-keyframes"}
# The palette attributes whose values the theme switches between (Material's
# palette toggle copies them from the palette inputs onto <body>).
PALETTE_ATTRIBUTES = ("data-md-color-scheme", "data-md-color-primary", "data-md-color-accent")
# Material's defaults when mkdocs.yml's palette leaves a value out (base.html).
PALETTE_DEFAULTS = {"scheme": "default", "primary": "indigo", "accent": "indigo"}
# The theme's script; its inline scripts are read from the pages themselves.
THEME_SCRIPTS = "assets/javascripts/bundle.*.min.js"
WORD = re.compile(r"[\w-]+")
TRAILING_WORD = re.compile(r"[\w-]+$")


@dataclass
class SiteUsage:
    """What the built pages and the theme's script can put in front of the CSS."""

    classes: set[str] = field(default_factory=set)
    # Names built at run time from a literal prefix (`md-tag--${...}`).
    prefixes: set[str] = field(default_factory=set)
    # Every word of the theme's script literals: classes, custom properties
    # it sets or reads, animation names.
    script_words: set[str] = field(default_factory=set)
    # Identifiers in inline style attributes and <style> elements.
    style_idents: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    palette: dict[str, set[str]] = field(
        default_factory=lambda: {name: set() for name in PALETTE_ATTRIBUTES})
    # Built HTML file -> hrefs of the stylesheets it links.
    stylesheet_links: dict[Path, list[str]] = field(default_factory=dict)

    def can_produce(self, name: str) -> bool:
        return (name in self.classes or name in self.script_words
                or any(name.startswith(prefix) for prefix in self.prefixes))

    def mentions_property(self, name: str) -> bool:
        return (name in self.style_idents or name in self.script_words
                or any(name.startswith(prefix) for prefix in self.prefixes if prefix.startswith("--")))


# --- What the site can produce ---------------------------------------------

class _PageScanner(HTMLParser):
    def __init__(self, usage: SiteUsage, page: Path):
        super().__init__(convert_charrefs=True)
        self.usage = usage
        self.page = page
        self.links = usage.stylesheet_links.setdefault(page, [])
        self.in_script = False
        self.in_style = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        usage = self.usage
        usage.classes.update(attributes.get("class", "").split())
        if "dir" in attributes:
            usage.dirs.add(attributes["dir"].strip().lower())
        for name in PALETTE_ATTRIBUTES:
            if name in attributes:
                usage.palette[name].add(attributes[name])
        if "style" in attributes:
            usage.style_idents.update(idents(tinycss2.parse_component_value_list(attributes["style"])))
        if tag == "link" and "stylesheet" in attributes.get("rel", "").lower().split():
            self.links.append(attributes.get("href", ""))
        # A script with a type other than JavaScript's (the theme's JSON
        # config) runs nothing that could add a class.
        self.in_script = tag == "script" and "src" not in attributes and attributes.get(
            "type", "text/javascript").lower() in ("", "text/javascript", "module", "application/javascript")
        self.in_style = tag == "style"
        self.text = []

    def handle_endtag(self, tag):
        text = "".join(self.text)
        if self.in_script and tag == "script":
            read_script(text, self.usage, f"an inline script of {self.page}")
        elif self.in_style and tag == "style":
            self.usage.style_idents.update(idents(tinycss2.parse_component_value_list(text)))
        self.in_script = self.in_style = False
        self.text = []

    def handle_data(self, data):
        if self.in_script or self.in_style:
            self.text.append(data)


def idents(nodes) -> set[str]:
    """Every identifier in `nodes`, including inside functions and blocks."""
    found = set()
    for node in nodes:
        if node.type == "ident":
            found.add(node.value)
        elif node.type == "declaration":
            found.add(node.name)
        for child in _children(node):
            found |= idents(child)
    return found


def _children(node):
    for attribute in ("arguments", "content", "value", "prelude"):
        child = getattr(node, attribute, None)
        if isinstance(child, list):
            yield child


# Tokens after which `/` starts a regular expression, not a division.
_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {"", "return", "typeof", "instanceof", "in", "of", "new",
                                                "delete", "void", "throw", "case", "do", "else", "yield",
                                                "await"}
_JS_NAME = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*")


def script_literals(source: str) -> list[tuple[str, bool]]:
    """The string and template-literal text of a script, as (text, is_prefix)
    pairs; `is_prefix` marks a fragment a value is appended to at run time
    (`\\`md-tag--${x}\\`` or `"md-tag--"+x`).

    A small lexer, not a JavaScript parser: it knows strings, template
    literals with nested `${}`, comments and regular expressions (told from
    division by the token before the slash), which is all a minified bundle
    needs to find its literals. It raises ValueError if the script does not
    end where a literal could.
    """
    found = []
    position, end = 0, len(source)
    previous = ""
    templates = []  # open `${` per template literal: depth of braces inside it
    while position < end:
        char = source[position]
        if char in " \t\r\n":
            position += 1
        elif source.startswith("//", position):
            newline = source.find("\n", position)
            position = end if newline < 0 else newline
        elif source.startswith("/*", position):
            close = source.find("*/", position + 2)
            position = end if close < 0 else close + 2
        elif char in "\"'":
            stop = _skip_until(source, position + 1, char)
            text = source[position + 1:stop]
            position = stop + 1
            found.append((text, _next_char(source, position) == "+"))
            previous = "literal"
        elif char == "`" or (char == "}" and templates and templates[-1] == 0):
            if char == "}":
                templates.pop()
            stop = position + 1
            while stop < end and source[stop] != "`" and not source.startswith("${", stop):
                stop += 2 if source[stop] == "\\" else 1
            if stop >= end:
                raise ValueError("unterminated template literal")
            text = source[position + 1:stop]
            if source[stop] == "`":
                found.append((text, False))
                position, previous = stop + 1, "literal"
            else:
                found.append((text, True))
                templates.append(0)
                position, previous = stop + 2, "("
        elif char in "{}":
            if templates:
                templates[-1] += 1 if char == "{" else -1
            position, previous = position + 1, char
        elif char == "/" and previous in _REGEX_AFTER:
            position, previous = _skip_regex(source, position), "literal"
        else:
            name = _JS_NAME.match(source, position)
            if name:
                previous = name.group(0) if name.group(0) in _REGEX_AFTER else "name"
                position = name.end()
            else:
                previous, position = char, position + 1
    if templates:
        raise ValueError("unterminated template literal")
    return found


def _skip_until(source: str, position: int, quote: str) -> int:
    while position < len(source) and source[position] != quote:
        position += 2 if source[position] == "\\" else 1
    if position >= len(source):
        raise ValueError(f"unterminated {quote} string")
    return position


def _skip_regex(source: str, position: int) -> int:
    position += 1
    in_class = False
    while position < len(source):
        char = source[position]
        if char == "\\":
            position += 2
            continue
        if char == "\n":
            raise ValueError("unterminated regular expression")
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            break
        position += 1
    position += 1
    while position < len(source) and source[position].isalnum():
        position += 1
    return position


def _next_char(source: str, position: int) -> str:
    while position < len(source) and source[position] in " \t\r\n":
        position += 1
    return source[position:position + 1]


def read_script(source: str, usage: SiteUsage, where: str) -> None:
    try:
        literals = script_literals(source)
    except ValueError as error:
        raise PluginError(f"CSS pruning: cannot read the string literals of {where}: {error}") from error
    # A JavaScript name cannot hold a hyphen, so every hyphenated word of the
    # script is text of some kind (a literal, a regular expression): should
    # the lexer ever misread a literal, the theme's `md-` classes still count.
    usage.script_words.update(word for word in WORD.findall(source) if "-" in word)
    for text, is_prefix in literals:
        # Split both on spaces (class lists) and on anything but the
        # characters of a plain class name (selectors, `a.b`, `--x:`).
        usage.script_words.update(text.split())
        usage.script_words.update(WORD.findall(text))
        if is_prefix:
            usage.prefixes.update(TRAILING_WORD.findall(text))


def scan_site(site_dir: Path, palette=None) -> SiteUsage:
    """Read every built HTML file and the theme's script."""
    usage = SiteUsage()
    for page in sorted(site_dir.rglob("*.html")):
        scanner = _PageScanner(usage, page)
        scanner.feed(page.read_text(encoding="utf-8"))
        scanner.close()
    scripts = sorted(site_dir.glob(THEME_SCRIPTS))
    if usage.stylesheet_links and not scripts:
        raise PluginError(f"CSS pruning: no theme script {THEME_SCRIPTS} in {site_dir}; without it the "
                          "classes the theme adds at run time are unknown, and pruning could drop their rules")
    for script in scripts:
        read_script(script.read_text(encoding="utf-8"), usage, str(script.relative_to(site_dir)))
    for option in _palette_options(palette):
        for key, default in PALETTE_DEFAULTS.items():
            value = option.get(key) or default
            usage.palette[f"data-md-color-{key}"].add(str(value).replace(" ", "-"))
    return usage


def _palette_options(palette) -> list[dict]:
    if not palette:
        return []
    return [palette] if isinstance(palette, dict) else [option for option in palette if isinstance(option, dict)]


# --- Selectors -------------------------------------------------------------

def split_selectors(prelude) -> list[list]:
    selectors, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append(current)
            current = []
        else:
            current.append(token)
    selectors.append(current)
    return [minify(selector) for selector in selectors]


def selector_can_match(selector, usage: SiteUsage) -> bool:
    """False if the selector needs something the site never has.

    Only what the selector itself requires at its top level counts: a class
    inside `:not()` or `:is()` (a function block here) is never a reason.
    """
    for index, token in enumerate(selector):
        if (token.type == "literal" and token.value == "." and index + 1 < len(selector)
                and selector[index + 1].type == "ident"
                and not usage.can_produce(selector[index + 1].value)):
            return False
        if token.type == "[] block" and not _attribute_can_match(token.content, usage):
            return False
    return True


def _attribute_can_match(content, usage: SiteUsage) -> bool:
    tokens = [token for token in content if token.type not in ("whitespace", "comment")]
    # [name=value] or [name=value i|s]; every other form is kept.
    if (len(tokens) not in (3, 4) or tokens[0].type != "ident"
            or not (tokens[1].type == "literal" and tokens[1].value == "=")
            or tokens[2].type not in ("ident", "string")):
        return True
    name, value = tokens[0].value.lower(), tokens[2].value
    folded = len(tokens) == 4 and tokens[3].type == "ident" and tokens[3].value.lower() == "i"
    if name == "dir":
        seen = usage.dirs
        folded = True  # HTML compares dir values case-insensitively.
    elif name in usage.palette:
        seen = usage.palette[name]
    else:
        return True
    if folded:
        return value.lower() in {v.lower() for v in seen}
    return value in seen


def _vendor_specific(selector) -> bool:
    """A `:-webkit-...`/`::-moz-...` pseudo. One a browser does not know makes
    the whole selector list invalid there, so such lists are never split."""
    for colon, pseudo in zip(selector, selector[1:]):
        if not (colon.type == "literal" and colon.value == ":"):
            continue
        name = pseudo.lower_value if pseudo.type == "ident" else (
            pseudo.lower_name if pseudo.type == "function" else "")
        if name.startswith("-"):
            return True
    return False


# --- The stylesheet tree ---------------------------------------------------

@dataclass
class StyleRule:
    selectors: list[list]
    items: list  # Declarations, and anything nested, kept as it is


@dataclass
class GroupRule:
    rule: object  # the tinycss2 AtRule, for its keyword and prelude
    children: list


@dataclass
class KeptRule:
    node: object  # any other rule, written as it was

    def keyframes_name(self) -> str | None:
        if self.node.type == "at-rule" and self.node.lower_at_keyword in KEYFRAMES_AT_RULES:
            names = [t.value for t in self.node.prelude if t.type in ("ident", "string")]
            return names[0] if names else None
        return None


class CssError(ValueError):
    pass


def parse_sheet(text: str, usage: SiteUsage) -> list:
    """The stylesheet as a tree, with unmatchable selectors already left out."""
    return _build(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True), usage)


def _build(nodes, usage: SiteUsage) -> list:
    tree = []
    for node in nodes:
        if node.type == "error":
            raise CssError(f"line {node.source_line}, column {node.source_column}: {node.message}")
        if node.type == "qualified-rule":
            tree.append(_style_rule(node, usage))
        elif node.type == "at-rule" and node.lower_at_keyword in GROUPING_AT_RULES and node.content is not None:
            children = tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
            tree.append(GroupRule(node, _build(children, usage)))
        elif node.type == "at-rule":
            _check_nested(node.content or [])
            tree.append(KeptRule(node))
        else:
            raise CssError(f"line {node.source_line}: unexpected {node.type} at the top level of a rule list")
    return tree


def _style_rule(node, usage: SiteUsage) -> StyleRule:
    selectors = split_selectors(node.prelude)
    if not all(selectors):
        raise CssError(f"line {node.source_line}, column {node.source_column}: empty selector in "
                       f"{serialize(minify(node.prelude))!r}")
    matching = [s for s in selectors if selector_can_match(s, usage)]
    if matching and len(matching) < len(selectors) and any(_vendor_specific(s) for s in selectors):
        matching = selectors
    items = []
    for item in tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True):
        if item.type == "error":
            raise CssError(f"line {item.source_line}, column {item.source_column}: {item.message}")
        if item.type != "declaration":
            _check_nested(getattr(item, "content", None) or [])
        items.append(item)
    return StyleRule(matching, items)


def _check_nested(nodes) -> None:
    for node in nodes:
        if getattr(node, "type", None) == "error":
            raise CssError(f"line {node.source_line}, column {node.source_column}: {node.message}")


def _walk(tree):
    for rule in tree:
        yield rule
        if isinstance(rule, GroupRule):
            yield from _walk(rule.children)


def _live(rule) -> bool:
    return not isinstance(rule, StyleRule) or bool(rule.selectors)


# --- Pruning ---------------------------------------------------------------

def prune(sheets: dict[str, str], usage: SiteUsage, other_css: list[str] = ()) -> dict[str, str]:
    """Prune `sheets` (name -> CSS text) together, since a custom property
    defined in one is used in another. `other_css` is CSS that stays as it
    is (our own stylesheets), read only for what it uses.

    Raises CssError naming the sheet if one does not parse.
    """
    trees = {}
    for name, text in sheets.items():
        try:
            trees[name] = parse_sheet(text, usage)
        except CssError as error:
            raise CssError(f"{name}: {error}") from error
    others = [tinycss2.parse_stylesheet(text, skip_comments=True) for text in other_css]
    rules = [rule for tree in trees.values() for rule in _walk(tree) if _live(rule)]

    # Keyframes something names: any identifier of any live rule except the
    # keyframes themselves, so animation shorthands and custom properties
    # holding an animation count too.
    mentioned = set(usage.style_idents) | set(usage.script_words)
    for rule in rules:
        if isinstance(rule, StyleRule):
            mentioned |= idents(rule.items)
        elif isinstance(rule, KeptRule) and rule.keyframes_name() is None:
            mentioned |= idents([rule.node])
        elif isinstance(rule, GroupRule):
            mentioned |= idents(rule.rule.prelude)
    for nodes in others:
        mentioned |= idents(nodes)
    dead_keyframes = {id(rule) for rule in rules
                      if isinstance(rule, KeptRule) and rule.keyframes_name() is not None
                      and rule.keyframes_name() not in mentioned}

    # Custom properties: used by a declaration that is applied, then by the
    # custom properties those use. Any `--name` identifier counts as a use,
    # not only var(--name): also transition-property, style queries...
    used = set()
    definitions: dict[str, list] = {}
    for rule in rules:
        if isinstance(rule, StyleRule):
            for item in rule.items:
                if item.type == "declaration" and item.name.startswith("--"):
                    definitions.setdefault(item.name, []).append(item.value)
                else:
                    used |= idents([item])
        elif isinstance(rule, KeptRule) and id(rule) not in dead_keyframes:
            used |= idents([rule.node])
        elif isinstance(rule, GroupRule):
            used |= idents(rule.rule.prelude)
    for nodes in others:
        used |= idents(nodes)
    used = {name for name in used if name.startswith("--")}
    used |= {name for name in definitions if usage.mentions_property(name)}
    pending = list(used)
    while pending:
        for value in definitions.get(pending.pop(), []):
            for name in idents(value):
                if name.startswith("--") and name not in used:
                    used.add(name)
                    pending.append(name)

    return {name: _serialize(tree, used, dead_keyframes) for name, tree in trees.items()}


def _serialize(tree, used: set[str], dead_keyframes: set[int]) -> str:
    chunks = []
    for rule in tree:
        if isinstance(rule, StyleRule):
            items = [item for item in rule.items
                     if not (item.type == "declaration" and item.name.startswith("--") and item.name not in used)]
            if rule.selectors and items:
                chunks.append(",".join(serialize(s) for s in rule.selectors)
                              + "{" + _serialize_items(items) + "}")
        elif isinstance(rule, GroupRule):
            inner = _serialize(rule.children, used, dead_keyframes)
            prelude = serialize(minify(rule.rule.prelude))
            keyword = "@" + rule.rule.at_keyword
            if inner:
                chunks.append(f"{keyword}{_space(prelude)}{{{inner}}}")
            elif rule.rule.lower_at_keyword == "layer" and prelude:
                # An emptied named layer still fixes where that layer sits
                # in the cascade order; the statement form keeps that.
                chunks.append(f"{keyword} {prelude};")
        elif id(rule) not in dead_keyframes:
            chunks.append(_serialize_at_rule(rule.node))
    return "".join(chunks)


def _space(prelude: str) -> str:
    # `@media(min-width:...)` needs no space; `@media screen` does.
    return prelude if prelude.startswith("(") or not prelude else " " + prelude


def _serialize_items(items) -> str:
    """A block's declarations and nested rules; `;` ends a declaration only,
    since in a rule list it would start an invalid rule."""
    text = ""
    for item in items:
        if item.type == "declaration":
            text += (tinycss2.serialize_identifier(item.name) + ":" + serialize(minify(item.value))
                     + ("!important" if item.important else "") + ";")
        else:
            text += _serialize_at_rule(item)
    return text[:-1] if text.endswith(";") and items[-1].type == "declaration" else text


def _serialize_at_rule(node) -> str:
    if node.type == "at-rule":
        prelude = serialize(minify(node.prelude))
        head = "@" + node.at_keyword + _space(prelude)
        if node.content is None:
            return head + ";"
        content = tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
        return head + "{" + _serialize_items(content) + "}"
    # A rule nested in a keyframes or other block: `50%{...}`, kept as written.
    prelude = serialize(minify(node.prelude))
    content = tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
    return prelude + "{" + _serialize_items(content) + "}"


def serialize(tokens) -> str:
    """tinycss2.serialize, without its `/**/` between tokens that would not
    merge anyway (`1n+2` is a dimension and a signed number either way):
    the output is to carry no comments. Where two tokens would merge, the
    `/**/` stays, as the only separator that changes nothing."""
    text, previous = "", None
    for token in tokens:
        if token.type == "function":
            piece = tinycss2.serialize_identifier(token.name) + "(" + serialize(token.arguments) + ")"
        elif token.type in _BRACKETS:
            opening, closing = _BRACKETS[token.type]
            piece = opening + serialize(token.content) + closing
        else:
            piece = token.serialize()
        if previous is not None and _would_merge(previous, token):
            text += "/**/"
        text += piece
        previous = (token, piece)
    return text


_BRACKETS = {"() block": "()", "[] block": "[]", "{} block": "{}"}


def _would_merge(previous, token) -> bool:
    before, before_text = previous
    pair = tuple(node.type if node.type != "literal" else node.value for node in (before, token))
    if pair not in tinycss2.serializer.BAD_PAIRS:
        return False
    text = before_text + token.serialize()
    again = tinycss2.parse_component_value_list(text)
    return not (len(again) == 2 and again[0].serialize() == before_text
                and again[1].serialize() == token.serialize())


def minify(tokens) -> list:
    """The tokens with comments gone, whitespace runs made one space, and no
    space at either end. One space where there was any keeps descendant
    combinators and separated values what they were."""
    result = []
    for token in tokens:
        if token.type == "comment":
            continue
        if token.type == "whitespace":
            if result and result[-1].type != "whitespace":
                result.append(tinycss2.ast.WhitespaceToken(token.source_line, token.source_column, " "))
            continue
        if token.type in ("() block", "[] block", "{} block"):
            token = type(token)(token.source_line, token.source_column, minify(token.content))
        elif token.type == "function":
            token = tinycss2.ast.FunctionBlock(token.source_line, token.source_column, token.name,
                                               minify(token.arguments))
        result.append(token)
    while result and result[-1].type == "whitespace":
        result.pop()
    return result


# --- The hook --------------------------------------------------------------

def stylesheets_to_prune(site_dir: Path, usage: SiteUsage, own: set[str], site_url: str | None) -> list[Path]:
    """The theme's and plugins' stylesheets the pages link, as site files."""
    base = PurePosixPath(urlsplit(site_url or "/").path or "/")
    found = set()
    for page, hrefs in usage.stylesheet_links.items():
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                raise PluginError(f"CSS pruning: {page.relative_to(site_dir)} links the stylesheet {href}, "
                                  "which is not part of the site; the pruner cannot prove what it needs")
            path = unquote(parts.path)
            if path.startswith("/"):
                relative = PurePosixPath(path).relative_to(base) if PurePosixPath(path).is_relative_to(base) else None
                target = site_dir / relative if relative is not None else None
            else:
                target = page.parent / path
            if target is None or not target.resolve().is_relative_to(site_dir.resolve()):
                raise PluginError(f"CSS pruning: {page.relative_to(site_dir)} links the stylesheet {href}, "
                                  "outside the built site")
            target = target.resolve()
            name = target.relative_to(site_dir.resolve()).as_posix()
            if name in own:
                continue
            if not target.is_file():
                raise PluginError(f"CSS pruning: {page.relative_to(site_dir)} links the stylesheet {href}, "
                                  f"but {name} is not in the built site")
            found.add(target)
    return sorted(found)


def prune_site(site_dir: Path, own: set[str], palette=None, site_url: str | None = None) -> dict[str, tuple[int, int]]:
    """Rewrite the stylesheets the pages link, except `own` (site-relative
    paths of our own), in place; return name -> (bytes before, bytes after)."""
    site_dir = Path(site_dir)
    usage = scan_site(site_dir, palette)
    targets = stylesheets_to_prune(site_dir, usage, own, site_url)
    root = site_dir.resolve()
    names = {target.relative_to(root).as_posix(): target for target in targets}
    texts = {}
    for name, target in names.items():
        try:
            texts[name] = target.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise PluginError(f"CSS pruning: cannot read {name} as UTF-8: {error}") from error
    other_css = [(root / name).read_text(encoding="utf-8") for name in sorted(own) if (root / name).is_file()]
    try:
        pruned = prune(texts, usage, other_css)
    except CssError as error:
        raise PluginError(f"CSS pruning: cannot parse the stylesheet {error}") from error
    sizes = {}
    renamed = {}
    basenames = [PurePosixPath(name).name for name in pruned]
    if len(set(basenames)) != len(basenames):
        raise PluginError(f"CSS pruning: two stylesheets share a file name ({sorted(pruned)}); "
                          "renaming them by content would confuse their links")
    for name, text in pruned.items():
        before = len(texts[name].encode("utf-8"))
        data = text.encode("utf-8")
        target = names[name]
        # The map describes the original file; with it a browser's developer
        # tools would point at rules that are no longer there.
        target.with_name(target.name + ".map").unlink(missing_ok=True)
        target.unlink()
        new_name = content_hashed(name, data)
        (root / new_name).write_bytes(data)
        renamed[PurePosixPath(name).name] = PurePosixPath(new_name).name
        sizes[new_name] = (before, len(data))
        log.info(f"{name}: {before:,} -> {len(data):,} bytes, as {new_name}")
    relink(usage, renamed)
    return sizes


# The hash Material puts in its asset names, or one this hook put there.
NAME_HASH = re.compile(r"\.[0-9a-f]{8}(?=(?:\.min)?\.css$)")


def content_hashed(name: str, data: bytes) -> str:
    """`name` with a hash of `data` in it, where the theme puts its own.

    The pruned file depends on the pages, so one name must never serve two
    contents: a reader's browser that cached the last deploy's stylesheet
    would otherwise style a page that uses a new class without its rules.
    """
    path = PurePosixPath(name)
    digest = hashlib.sha256(data).hexdigest()[:8]
    if NAME_HASH.search(path.name):
        return str(path.with_name(NAME_HASH.sub("." + digest, path.name)))
    stem, dot, suffix = path.name.partition(".")
    return str(path.with_name(f"{stem}.{digest}{dot}{suffix}"))


LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)


def relink(usage: SiteUsage, renamed: dict[str, str]) -> None:
    """Point every page's stylesheet links at the renamed files."""
    if not renamed:
        return
    old_names = re.compile("|".join(
        rf"(?<=[/\"'=]){re.escape(old)}(?=[\"'\s>?#]|$)" for old in sorted(renamed, key=len, reverse=True)))

    def rewrite_tag(tag):
        return old_names.sub(lambda m: renamed[m.group(0)], tag.group(0))

    for page in usage.stylesheet_links:
        text = page.read_text(encoding="utf-8")
        page.write_text(LINK_TAG.sub(rewrite_tag, text), encoding="utf-8")


def own_stylesheets(config) -> set[str]:
    """Our extra_css files: those that come from docs/, not from a plugin."""
    docs_dir = Path(config["docs_dir"])
    own = set()
    for entry in config["extra_css"]:
        path = str(getattr(entry, "path", entry))
        if (docs_dir / path).is_file():
            own.add(PurePosixPath(path).as_posix())
    return own


def on_post_build(config) -> None:
    prune_site(Path(config["site_dir"]), own_stylesheets(config),
               palette=config["theme"].get("palette"), site_url=config["site_url"])
