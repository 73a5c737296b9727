"""MkDocs hook: keep the bytes a reader downloads down, without changing what
the reader sees on a page.

Every first visit downloads the page and the whole search index, so both
count against the page-weight target (docs/maintainers/benchmarks.md).

* Code blocks are kept out of the search index. Material's search plugin
  indexes the full text of every code block, and with the guide written the
  Python examples and their outputs were over half of all indexed text. What
  readers search for is in the prose, with its inline code, and in the
  headings, which on the troubleshooting pages are the error messages
  themselves. Code blocks are marked `data-search-exclude`, the attribute the
  search plugin skips.
* Pygments wraps every token of code in a span, about three quarters of a
  code block's bytes. The theme colours a token by its class, and many
  classes get the same colour (`(` and `.` and `=` share one) or none at all
  (names, whitespace, `__init__`). Which class gets which colour is read from
  the theme's own stylesheets (and ours) at the start of each build. Spans
  the theme leaves in the code's own colour lose their tags, and neighbouring
  spans of one colour, with nothing but spaces between them, become one
  span. Every character keeps its colour. Classes styled in any other way, or
  looked up by the theme's JavaScript (comments, which code annotations
  search), keep their spans; blocks holding anything else (highlighted lines,
  links) are left as they are.
* The search index carries each section's text as HTML, so that results can
  show inline code in code style; the tags were a sixth of the index, which
  every first visit downloads. After the build the index keeps the text and
  loses the tags: searching matches the same words, and a result's preview
  shows them as plain text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import tinycss2
from mkdocs.exceptions import PluginError

# What pymdownx.highlight writes around a fenced block (```python, ```text, ...).
CODE_BLOCK = re.compile(r'<div class="(?:language-[\w+-]+ )?highlight"(?![^>]*data-search-exclude)')
CODE = re.compile(r"(<pre\b[^>]*>(?:<span></span>)?<code\b[^>]*>)(.*?)(</code></pre>)", re.DOTALL)
PIECE = re.compile(r'<span class="([\w-]+)">([^<]*)</span>|([^<]+)|(<[^>]*>)')
TOKEN_SELECTOR = re.compile(r"\.highlight \.([\w-]+)")
CLASS_IN_SELECTOR = re.compile(r"\.([\w-]+)")
VARIABLE = re.compile(r"var\((--[\w-]+)\)")
# The colour of code text itself: a token drawn in it looks like no token.
CODE_TEXT_COLOUR = "var(--md-code-fg-color)"


class TokenColours:
    """How the theme draws each Pygments token class inside a code block.

    `colour[cls]` is the colour of a class the theme styles with one colour
    declaration and nothing else; classes the theme styles in any other way,
    or its script looks up, are in `special` and never touched. A class with
    no rule at all, or whose colour is the code's own, is drawn as plain code
    text.
    """

    def __init__(self, colour: dict[str, str], special: set[str], plain_colour: str):
        self.special = frozenset(special)
        self.colour = {cls: value for cls, value in colour.items() if cls not in self.special}
        self.plain_colour = plain_colour
        # One class per colour to write on a merged span.
        self.representative: dict[str, str] = {}
        for cls, value in self.colour.items():
            self.representative.setdefault(value, cls)

    def of(self, cls: str) -> str | None:
        """The colour a token of `cls` is drawn in; None for plain code text."""
        value = self.colour.get(cls)
        if value is None or value == self.plain_colour:
            return None
        return value

    def understood(self, cls: str) -> bool:
        return cls not in self.special


def _rules(nodes):
    """Every style rule, also those inside @media and other blocks."""
    for node in nodes:
        if node.type == "qualified-rule":
            yield node
        elif node.type == "at-rule" and node.content is not None:
            yield from _rules(tinycss2.parse_blocks_contents(node.content, skip_comments=True,
                                                            skip_whitespace=True))


def _declarations(rule):
    return [d for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                      skip_whitespace=True)
            if d.type == "declaration"]


def token_colours(stylesheets: list[str], script_classes: set[str] = frozenset()) -> TokenColours:
    """Read the token colours out of the theme's stylesheets; `script_classes`
    are classes the theme's script looks up, which must keep their spans."""
    colour: dict[str, str] = {}
    special: set[str] = set(script_classes)
    definitions: dict[str, set[str]] = {}
    for css in stylesheets:
        for rule in _rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)):
            declarations = _declarations(rule)
            for declaration in declarations:
                if declaration.name.startswith("--"):
                    definitions.setdefault(declaration.name, set()).add(
                        tinycss2.serialize(declaration.value).strip())
            only_colour = (len(declarations) == 1 and declarations[0].lower_name == "color"
                           and not declarations[0].important)
            value = tinycss2.serialize(declarations[0].value).strip() if only_colour else None
            for selector in tinycss2.serialize(rule.prelude).split(","):
                selector = " ".join(selector.split())
                token = TOKEN_SELECTOR.fullmatch(selector)
                if token and only_colour:
                    if colour.setdefault(token.group(1), value) != value:
                        special.add(token.group(1))
                else:
                    special.update(CLASS_IN_SELECTOR.findall(selector))

    def resolve(value: str) -> str:
        # "var(--a)" where every rule of every stylesheet sets --a to the same
        # value is that value, wherever it is used: the operator and the
        # punctuation colours are one grey.
        seen = set()
        while (match := VARIABLE.fullmatch(value)) and len(definitions.get(match.group(1), ())) == 1:
            if value in seen:
                break
            seen.add(value)
            (value,) = definitions[match.group(1)]
        return value

    colour = {cls: resolve(value) for cls, value in colour.items()}
    return TokenColours(colour, special, resolve(CODE_TEXT_COLOUR))


def compact_code(code: str, colours: TokenColours) -> str:
    """The inside of one <code> element with fewer spans and the same colours.

    Returns `code` unchanged if it holds anything but flat token spans and text.
    """
    runs: list[list] = []  # [class to write or None for none, text, may merge]
    for span_class, span_text, text, tag in PIECE.findall(code):
        if tag:
            return code
        if span_class and not colours.understood(span_class):
            runs.append([span_class, span_text, False])
            continue
        colour = colours.of(span_class) if span_class else None
        cls = colours.representative[colour] if colour is not None else None
        piece = span_text if span_class else text
        if runs and runs[-1][2] and runs[-1][0] == cls:
            runs[-1][1] += piece
        elif (cls is not None and len(runs) >= 2 and runs[-1][0] is None
              and runs[-1][1].strip(" ") == "" and runs[-2][2] and runs[-2][0] == cls):
            # Spaces take no colour, so "a</span> <span>b" can be "a b" in one span.
            spaces = runs.pop()
            runs[-1][1] += spaces[1] + piece
        else:
            runs.append([cls, piece, True])
    return "".join(text if cls is None else f'<span class="{cls}">{text}</span>'
                   for cls, text, _ in runs)


def _theme_file(config, pattern: str) -> Path:
    for directory in config.theme.dirs:
        matches = sorted(Path(directory).glob(pattern))
        if matches:
            return matches[0]
    raise PluginError(f"src/docs_tooling/hooks/weight.py: no {pattern} in the theme's directories "
                      f"{config.theme.dirs}; it reads how code tokens are drawn from the theme "
                      "(Material for MkDocs).")


def site_stylesheets(config) -> list[str]:
    """The theme's main and palette stylesheets, and the site's extra_css."""
    paths = [_theme_file(config, "assets/stylesheets/main.*.min.css"),
             _theme_file(config, "assets/stylesheets/palette.*.min.css")]
    paths += [Path(config.docs_dir, str(extra)) for extra in config.extra_css]
    return [path.read_text(encoding="utf-8") for path in paths if path.is_file()]


# A class selector the theme's script builds, such as ".c1".
SCRIPT_CLASS = re.compile(r"""["'`]\.([\w-]+)["'`]""")


def script_classes(config) -> set[str]:
    """Classes the theme's JavaScript looks up by name."""
    bundle = _theme_file(config, "assets/javascripts/bundle.*.min.js")
    return set(SCRIPT_CLASS.findall(bundle.read_text(encoding="utf-8")))


_colours: TokenColours | None = None


def on_config(config):
    global _colours
    _colours = token_colours(site_stylesheets(config), script_classes(config))
    return config


def on_page_content(html: str, page, config, files) -> str:
    html = CODE_BLOCK.sub(r"\g<0> data-search-exclude", html)
    return CODE.sub(lambda m: m.group(1) + compact_code(m.group(2), _colours) + m.group(3), html)


# Tags that separate words: dropping them must leave a space, or "a</p><p>b"
# would be indexed as one word "ab".
BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|pre|table|thead|tbody|tr|td|th|div|br|h[1-6])\b[^>]*>")
TAG = re.compile(r"<[^>]*>")
SPACES = re.compile(r"\s+")


def plain_text(html: str) -> str:
    """The text of an index entry without its tags; entities stay escaped."""
    return SPACES.sub(" ", TAG.sub("", BLOCK_TAG.sub(" ", html))).strip()


def on_post_build(config) -> None:
    index_path = Path(config["site_dir"]) / "search" / "search_index.json"
    if not index_path.is_file():
        raise PluginError(f"{index_path} is missing: the search plugin must be enabled in "
                          "mkdocs.yml (it writes the index before hooks run).")
    index = json.loads(index_path.read_text(encoding="utf-8"))
    for entry in index["docs"]:
        entry["text"] = plain_text(entry["text"])
    index_path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")),
                          encoding="utf-8")
