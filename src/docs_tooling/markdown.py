"""Find the fenced code blocks of a Markdown page the way Markdown renders them.

pytest-codeblocks has its own, looser reader: it knows only backtick fences
at the start of a line, closes a fence on any line that starts with the
fence's backticks (even ```` ```text ````), and drops empty lines from a
block that is indented (inside an admonition or a content tab). This module
reads fences by the CommonMark rules, so the doc-block runner and the fence
guard can check that pytest-codeblocks saw every block, and saw it whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# An opening fence: indentation, blockquote markers or a list marker, then
# three or more backticks or tildes, then the info string.
_OPEN = re.compile(
    r"^(?P<prefix>[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# The two comment forms pytest-codeblocks reads (it matches them after strip()).
_DIRECTIVE = re.compile(r"^<!--[-\s]*(pytest-codeblocks:.*|pytest\.mark\..*)-->$")

PYTHON_LANGUAGES = re.compile(r"^(?:i?python\d*|py\d*|pycon|python-?repl)$")
SHELL_LANGUAGES = {"sh", "bash", "shell", "console", "zsh", "ksh", "fish", "terminal",
                   "shell-session", "shellsession", "sh-session", "bash-session"}


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


def scan(path: Path) -> Page:
    lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
    fences: list[Fence] = []
    stray: list[tuple[int, str]] = []
    pending: list[tuple[int, str]] = []
    skipfile = bool(lines) and lines[0].strip() == "<!--pytest-codeblocks:skipfile-->"
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        stripped = line.strip()
        opened = _OPEN.match(line.rstrip("\n"))
        if opened and not (opened["fence"][0] == "`" and "`" in opened["info"]):
            fence = _read_fence(lines, index, opened)
            fence.directives, pending = pending, []
            fences.append(fence)
            index = fence.line + fence.content.count("\n") + 1  # past the closing fence
            continue
        directive = _DIRECTIVE.match(stripped)
        if directive and not (number == 1 and skipfile):
            pending.append((number, directive.group(1).strip()))
        elif stripped:
            stray += pending
            pending = []
        index += 1
    return Page(fences, stray + pending, skipfile)


def _read_fence(lines: list[str], start: int, opened: re.Match) -> Fence:
    marker, prefix = opened["fence"], opened["prefix"]
    indent = len(prefix) if not prefix.strip() else 0
    closing = re.compile(rf"^[ \t>]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
    content = []
    for line in lines[start + 1:]:
        if closing.match(line.rstrip("\n")):
            break
        body = line.rstrip("\n")
        cut = min(indent, len(body) - len(body.lstrip(" \t")))
        content.append(body[cut:] + "\n")
    # An unclosed fence runs to the end of the page, as in Markdown.
    return Fence(start + 1, opened["info"].strip(), prefix, marker, "".join(content))


_OUTPUT_KEYWORDS = ("expected-output", "expected-output-ignore-whitespace")
_DEPRECATED = ("pytest-codeblocks:skip", "pytest-codeblocks:expect-exception",
               "pytest-codeblocks:expect-error")


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
        problems.append(f"{where}:1: skipfile hides every block of the page; mark single "
                        "blocks as not run instead, each with its reason")
    for line, text in page.stray_directives:
        problems.append(f"{where}:{line}: <!--{text}--> is not directly above a code block, "
                        "yet pytest-codeblocks would apply it to the next ``` block")
    expected = []  # what pytest-codeblocks should return, rebuilt from the real fences
    for fence in page.fences:
        for line, text in fence.directives:
            if text.startswith(_DEPRECATED):
                problems.append(f"{where}:{line}: <!--{text}--> is deprecated and hides the "
                                "block's result; see docs/maintainers/writing-pages.md")
        if not fence.visible_to_codeblocks:
            if fence.directives:
                problems.append(
                    f"{where}:{fence.directives[0][0]}: pytest-codeblocks cannot see the fence "
                    f"{fence.prefix.strip()}{fence.marker}{fence.info} at line {fence.line}, so the "
                    "comment above it would apply to the next ``` block")
            continue
        keywords = [text.partition(":")[2] for _, text in fence.directives
                    if text.startswith("pytest-codeblocks:")]
        joins = "cont" in keywords or any(k in _OUTPUT_KEYWORDS for k in keywords)
        if joins and any(text.startswith("pytest.mark.") for _, text in fence.directives):
            problems.append(f"{where}:{fence.line}: a pytest.mark comment above a continued or "
                            "shown-output fence would apply to the next block; put it above "
                            "the block it is meant for")
        if joins and expected:
            if "cont" in keywords:
                expected[-1]["code"] += fence.content
            else:
                expected[-1]["expected_output"] = fence.content
        else:
            marks = [text for _, text in fence.directives if text.startswith("pytest.mark.")]
            expected.append({"lineno": fence.line, "syntax": fence.info, "code": fence.content,
                             "expected_output": None, "marks": marks,
                             "indented": bool(fence.prefix)})
    seen = [{"lineno": b.lineno, "syntax": b.syntax.strip(), "code": b.code,
             "expected_output": b.expected_output, "marks": b.marks} for b in blocks]
    for want, got in zip(expected, seen):
        same = all(want[k] == got[k] for k in ("lineno", "syntax", "marks"))
        if same:
            strip = _without_blank_lines if want["indented"] else (lambda text: text)
            same = all(strip(want[k]) == strip(got[k]) for k in ("code", "expected_output"))
        if not same:
            problems.append(
                f"{where}:{want['lineno']}: pytest-codeblocks reads this block differently from "
                f"Markdown (it sees a block at line {got['lineno']} with info "
                f"{got['syntax']!r}); look for a fence inside a fence, or ~~~ fences around ```")
            break
    else:
        if len(expected) != len(seen):
            problems.append(f"{where}: pytest-codeblocks finds {len(seen)} blocks where Markdown "
                            f"has {len(expected)}; look for ``` lines inside ~~~ fences")
    if not problems:
        for want, block in zip(expected, blocks):
            block.code, block.expected_output = want["code"], want["expected_output"]
    return problems
