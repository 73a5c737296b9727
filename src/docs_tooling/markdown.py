"""The one reader of a Markdown page's fenced code blocks, on markdown-it-py.

Every tool that needs a page's fences reads them here: the doc-block runner
(docs_tooling.doc_blocks) to check that pytest-codeblocks saw every block and
saw it whole, the fence guard (tests/content/test_fences.py), and the
migration table (docs_tooling.migration_table). A page is parsed once per run:
`scan` caches the result by path, modification time and size.

markdown-it-py reads the page by the CommonMark rules. The site's Markdown
also has pymdown containers, admonitions (`!!! note`, `??? example`) and
content tabs (`=== "Tab"`), whose body is indented by four spaces; CommonMark
would read that body as an indented code block, so a small block rule here
reads it as nested Markdown instead, as MkDocs renders it.

pytest-codeblocks, which extracts the blocks the runner runs, has its own,
looser reader: it knows only backtick fences at the start of a line, closes a
fence on any line that starts with the fence's backticks (even ```` ```text ````),
and drops empty lines from a block that is indented (inside an admonition or a
content tab). `reconcile` compares the two readings.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

# The two comment forms pytest-codeblocks reads (it matches them after strip()).
_DIRECTIVE = re.compile(r"^<!--[-\s]*(pytest-codeblocks:.*|pytest\.mark\..*)-->$")
SKIPFILE = "<!--pytest-codeblocks:skipfile-->"
# The first line of an admonition, a collapsible admonition or a content tab.
_CONTAINER = re.compile(r"(?:!!!|\?\?\?\+?|===[+!]?)(?:[ \t]|$)")
# Block tokens that put something other than a fence on a line: a directive
# comment above one of them is not directly above a fence. Lists and
# blockquotes are not among them: a fence can open on their first line.
_CONTENT_TOKENS = {
    "paragraph_open",
    "heading_open",
    "hr",
    "code_block",
    "table_open",
    "html_block",
    "container_open",
}

PYTHON_LANGUAGES = re.compile(r"^(?:i?python\d*|py\d*|pycon|python-?repl)$")
SHELL_LANGUAGES = {
    "sh",
    "bash",
    "shell",
    "console",
    "zsh",
    "ksh",
    "fish",
    "terminal",
    "shell-session",
    "shellsession",
    "sh-session",
    "bash-session",
}


def language(info: str) -> str:
    """The language named by a fence's info string, lower-cased.

    ```` ```python title="x.py" ```` and ```` ``` { .python .copy } ```` both name python.
    """
    info = info.strip()
    if info.startswith("{"):
        found = re.search(r"\.([\w+-]+)", info)
        return found.group(1).lower() if found else ""
    found = re.match(r"\.?([\w+#-]+)", info)
    return found.group(1).lower() if found else ""


def is_python_or_shell(lang: str) -> bool:
    return bool(PYTHON_LANGUAGES.match(lang)) or lang in SHELL_LANGUAGES


@dataclass
class Fence:
    """One fenced block, as Markdown renders it."""

    line: int  # 1-based line of the opening fence
    last_line: int  # 1-based line of the closing fence (of the page's last line if unclosed)
    closed: bool  # False when the fence runs to the end of its page or container
    info: str  # the info string, stripped
    prefix: str  # what stands before the fence characters on its line
    marker: str  # the fence characters, e.g. "```" or "~~~~"
    content: str  # the lines inside, with the fence's indentation removed
    directives: list[tuple[int, str]] = field(default_factory=list)  # comments just above

    @property
    def lang(self) -> str:
        return language(self.info)

    @property
    def visible_to_codeblocks(self) -> bool:
        """pytest-codeblocks sees only backtick fences preceded by nothing but spaces."""
        return self.marker.startswith("`") and not self.prefix.strip()

    def has_directive(self, keyword: str) -> bool:
        return any(text == f"pytest-codeblocks:{keyword}" for _, text in self.directives)


@dataclass
class Page:
    fences: list[Fence]
    # Directive comments that no fence follows directly (prose in between):
    # pytest-codeblocks would still attach them to the next ``` block.
    stray_directives: list[tuple[int, str]]
    skipfile: bool


def _container(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A pymdown admonition or content tab: its opening line, then a body
    indented four spaces deeper (blank lines included), read as Markdown."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not _CONTAINER.match(first):
        return False
    if silent:
        return True
    body_indent = state.sCount[start] + 4
    stop = line = start + 1
    while line < end:
        if not state.isEmpty(line):
            if state.sCount[line] < body_indent:
                break
            stop = line + 1
        line += 1
    opening = state.push("container_open", "div", 1)
    opening.map, opening.info = [start, stop], first
    outer_indent = state.blkIndent
    state.blkIndent = body_indent
    state.md.block.tokenize(state, start + 1, stop)
    state.blkIndent = outer_indent
    state.push("container_close", "div", -1)
    state.line = stop
    return True


@functools.cache
def _parser(tables: bool = False) -> MarkdownIt:
    parser = MarkdownIt("commonmark")
    if tables:
        parser.enable("table")
    parser.block.ruler.before("fence", "pymdown_container", _container)
    return parser


def tokens(text: str, tables: bool = False) -> list[Token]:
    """A page's markdown-it tokens, read as `parse` reads it (admonitions and
    content tabs as nested Markdown); with `tables`, GitHub-style tables too."""
    return _parser(tables).parse(text)


def shown_output(page_tokens: list[Token], index: int) -> str | None:
    """The output shown for the fence at `index` of `tokens(...)`: the fence right
    after an expected-output comment that directly follows it, or None."""
    rest = page_tokens[index + 1 : index + 3]
    if (
        len(rest) == 2
        and rest[0].type == "html_block"
        and rest[0].content.strip() == "<!--pytest-codeblocks:expected-output-->"
        and rest[1].type == "fence"
    ):
        return str(rest[1].content)
    return None


# The content tabs that show one backend's output each, by their title.
BACKEND_TABS = {"TensorFlow": "tensorflow", "JAX": "jax", "PyTorch": "torch"}
_TAB = re.compile(r'^===[+!]?[ \t]+"([^"]*)"[ \t]*$')


@dataclass(frozen=True)
class BackendOutputs:
    """The outputs a page shows in backend tabs right after a code fence."""

    outputs: dict[str, str]  # backend name (as KERAS_BACKEND spells it) -> shown output
    problems: tuple[str, ...]  # why the tabs cannot be read as one output per backend


def backend_outputs(path: Path) -> dict[int, BackendOutputs]:
    """For each fence followed directly by `=== "TensorFlow"`/`"JAX"`/`"PyTorch"`
    tabs, keyed by the fence's line: the output fence each tab holds."""
    path = Path(path).resolve()
    stat = path.stat()
    return _backend_outputs(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _backend_outputs(path: Path, mtime_ns: int, size: int) -> dict[int, BackendOutputs]:
    return backend_outputs_in(path.read_text(encoding="utf-8"))


def backend_outputs_in(text: str) -> dict[int, BackendOutputs]:
    """backend_outputs() of a page's text: keyed by the 1-based line of each fence that tabs follow."""
    page_tokens = tokens(text)
    found: dict[int, BackendOutputs] = {}
    for index, token in enumerate(page_tokens):
        if token.type != "fence" or token.map is None:
            continue
        outputs: dict[str, str] = {}
        problems: list[str] = []
        at = index + 1
        while at < len(page_tokens) and page_tokens[at].type == "container_open":
            title = _TAB.match(page_tokens[at].info.strip())
            if title is None:
                break
            opening = page_tokens[at]
            line = opening.map[0] + 1 if opening.map else 0
            depth, inner, at = 1, [], at + 1
            while at < len(page_tokens) and depth:
                depth += {"container_open": 1, "container_close": -1}.get(page_tokens[at].type, 0)
                if depth:
                    inner.append(page_tokens[at])
                at += 1
            backend = BACKEND_TABS.get(title.group(1))
            if backend is None:
                problems.append(
                    f"line {line}: tab {title.group(1)!r} after a code block names no backend; "
                    f"use {', '.join(repr(t) for t in BACKEND_TABS)}"
                )
            elif [t.type for t in inner] != ["fence"] or language(inner[0].info) != "text":
                problems.append(f"line {line}: the {title.group(1)} tab must hold one ```text fence only")
            elif backend in outputs:
                problems.append(f"line {line}: a second {title.group(1)} tab")
            else:
                outputs[backend] = str(inner[0].content)
        if outputs or problems:
            found[token.map[0] + 1] = BackendOutputs(outputs, tuple(problems))
    return found


@functools.lru_cache(maxsize=256)
def parse(text: str) -> Page:
    """The fences of a page's text, with the directive comments above each.

    Cached by the text, so tools that hold a page's text share one parse.
    """
    lines = re.split(r"\r\n?|\n", text)  # as markdown-it splits them
    skipfile = bool(lines) and lines[0].strip() == SKIPFILE
    fences: list[Fence] = []
    stray: list[tuple[int, str]] = []
    pending: list[tuple[int, str]] = []
    for token in _parser().parse(text):
        if token.type == "fence":
            fences.append(_fence(token, lines, pending))
            pending = []
            continue
        if token.type == "html_block" and token.map is not None:
            directive = _DIRECTIVE.match(token.content.strip())
            if directive:
                number = token.map[0] + 1
                if not (number == 1 and skipfile):
                    pending.append((number, directive.group(1).strip()))
                continue
        if token.type in _CONTENT_TOKENS:
            stray += pending
            pending = []
    return Page(fences, stray + pending, skipfile)


def _fence(token: Token, lines: list[str], directives: list[tuple[int, str]]) -> Fence:
    assert token.map is not None
    first, stop = token.map
    opening = lines[first]
    # markdown-it gives the fence characters in `markup`, e.g. "````".
    prefix = opening[: opening.index(token.markup)]
    closing = re.compile(rf"^[ \t>]*{re.escape(token.markup[0])}{{{len(token.markup)},}}[ \t]*$")
    closed = stop - 1 > first and bool(closing.match(lines[stop - 1]))
    return Fence(
        line=first + 1,
        last_line=stop,
        closed=closed,
        info=token.info.strip(),
        prefix=prefix,
        marker=token.markup,
        content=token.content,
        directives=list(directives),
    )


def scan(path: Path) -> Page:
    """The fences of the page at `path`, parsed once while the file is unchanged."""
    path = Path(path).resolve()
    stat = path.stat()
    return _scan(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _scan(path: Path, mtime_ns: int, size: int) -> Page:
    return parse(path.read_text(encoding="utf-8"))


_OUTPUT_KEYWORDS = ("expected-output", "expected-output-ignore-whitespace")
_DEPRECATED = (
    "pytest-codeblocks:skip",
    "pytest-codeblocks:expect-exception",
    "pytest-codeblocks:expect-error",
)


def _without_blank_lines(text: str | None) -> str | None:
    if text is None:
        return None
    return "".join(line for line in text.splitlines(keepends=True) if line.strip())


def reconcile(blocks: list, page: Page, where: str) -> list[str]:
    """Compare pytest-codeblocks' blocks of a page with the page's real fences.

    `blocks` is what `pytest_codeblocks.main.extract_from_file` returned.
    Returns the disagreements, one sentence each; when there are none, puts
    back the empty lines pytest-codeblocks drops from indented blocks, so
    each block's code and shown output are exactly what the page renders.
    """
    problems = []
    if page.skipfile:
        problems.append(
            f"{where}:1: skipfile hides every block of the page; mark single "
            "blocks as not run instead, each with its reason"
        )
    for line, text in page.stray_directives:
        problems.append(
            f"{where}:{line}: <!--{text}--> is not directly above a code block, "
            "yet pytest-codeblocks would apply it to the next ``` block"
        )
    expected: list[dict[str, Any]] = []  # what pytest-codeblocks should return, rebuilt from the real fences
    for fence in page.fences:
        for line, text in fence.directives:
            if text.startswith(_DEPRECATED):
                problems.append(
                    f"{where}:{line}: <!--{text}--> is deprecated and hides the "
                    "block's result; see docs/maintainers/writing-pages.md"
                )
        if not fence.visible_to_codeblocks:
            if fence.directives:
                problems.append(
                    f"{where}:{fence.directives[0][0]}: pytest-codeblocks cannot see the fence "
                    f"{fence.prefix.strip()}{fence.marker}{fence.info} at line {fence.line}, so the "
                    "comment above it would apply to the next ``` block"
                )
            continue
        keywords = [
            text.partition(":")[2] for _, text in fence.directives if text.startswith("pytest-codeblocks:")
        ]
        joins = "cont" in keywords or any(k in _OUTPUT_KEYWORDS for k in keywords)
        if joins and any(text.startswith("pytest.mark.") for _, text in fence.directives):
            problems.append(
                f"{where}:{fence.line}: a pytest.mark comment above a continued or "
                "shown-output fence would apply to the next block; put it above "
                "the block it is meant for"
            )
        if joins and expected:
            if "cont" in keywords:
                expected[-1]["code"] += fence.content
            else:
                expected[-1]["expected_output"] = fence.content
        else:
            marks = [text for _, text in fence.directives if text.startswith("pytest.mark.")]
            expected.append(
                {
                    "lineno": fence.line,
                    "syntax": fence.info,
                    "code": fence.content,
                    "expected_output": None,
                    "marks": marks,
                    "indented": bool(fence.prefix),
                }
            )
    seen = [
        {
            "lineno": b.lineno,
            "syntax": b.syntax.strip(),
            "code": b.code,
            "expected_output": b.expected_output,
            "marks": b.marks,
        }
        for b in blocks
    ]
    for want, got in zip(expected, seen, strict=False):  # unequal lengths are reported below
        same = all(want[k] == got[k] for k in ("lineno", "syntax", "marks"))
        if same:
            strip = _without_blank_lines if want["indented"] else (lambda text: text)
            same = all(strip(want[k]) == strip(got[k]) for k in ("code", "expected_output"))
        if not same:
            problems.append(
                f"{where}:{want['lineno']}: pytest-codeblocks reads this block differently from "
                f"Markdown (it sees a block at line {got['lineno']} with info "
                f"{got['syntax']!r}); look for a fence inside a fence, or ~~~ fences around ```"
            )
            break
    else:
        if len(expected) != len(seen):
            problems.append(
                f"{where}: pytest-codeblocks finds {len(seen)} blocks where Markdown "
                f"has {len(expected)}; look for ``` lines inside ~~~ fences"
            )
    if not problems:
        for want, block in zip(expected, blocks, strict=True):
            block.code, block.expected_output = want["code"], want["expected_output"]
    return problems


def front_matter_end(lines: list[str]) -> int:
    """The first line after MkDocs's YAML front matter (`---` ... `---`), 0 without one."""
    if lines and lines[0].rstrip() == "---":
        for number, line in enumerate(lines[1:], start=1):
            if line.rstrip() in ("---", "..."):
                return number + 1
    return 0


def title(text: str) -> str | None:
    """The page's `# Title`: its first first-level heading after the front matter, if any."""
    lines = text.splitlines()
    for line in lines[front_matter_end(lines) :]:
        if line.startswith("# "):
            return line[2:].strip()
    return None
