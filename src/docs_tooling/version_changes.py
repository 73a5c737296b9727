"""What the guide's blocks print on the oldest supported stack, and the page that lists it.

Every block of the guide is checked against the pinned stack (constraints.txt):
the output shown under it is what it prints there. `make test-oldest` runs
every block again, in-process with the same runner, on the oldest stack
pyproject.toml admits (constraints-oldest.txt). A block that prints something
else there is one row of `oldest-outputs.json`, which holds what it printed,
keyed by its page and a hash of its code; the page
`docs/reference/keras3-releases.md` is rendered from those rows and the
outputs the pages show:

* `make test` (pinned stack only, no second install) checks, in
  tests/tooling/test_version_changes.py, that the committed page is exactly
  the one rendered from the record and the pages' shown outputs, so the
  pinned column is what the pinned run checks, and that every recorded block
  still exists.
* `make test-oldest` fails when a block prints on the oldest stack neither its
  shown output nor its recorded row, when a recorded row now prints the shown
  output, or when the installed stack is not the one the record was made on.
  `make test-oldest UPDATE=1` rewrites the record and the page instead.
* `make test-latest` runs the blocks on the newest releases and writes which
  ones print something other than the page shows (a report, not a record).

A block that raises prints what it printed before, then `raised Type: message`.
This module does not import TensorFlow or Keras unless it runs the blocks.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import html
import importlib.metadata
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import markdown as python_markdown
import pytest

from docs_tooling import doc_blocks
from docs_tooling import markdown as markdown_fences
from docs_tooling.paths import DOCS, README, ROOT, display_path

RECORD = ROOT / "oldest-outputs.json"
PAGE = DOCS / "reference" / "keras3-releases.md"
CONSTRAINTS = ROOT / "constraints.txt"
CONSTRAINTS_OLDEST = ROOT / "constraints-oldest.txt"
# The packages whose versions make a stack, as constraints files spell them.
STACK = ("tensorflow", "keras", "tf_keras")


class RecordError(ValueError):
    """The record, the pages and the installed stack do not fit together."""


@dataclasses.dataclass(frozen=True)
class PageBlock:
    page: str  # relative to the repository root, e.g. docs/guide/masks.md
    line: int  # 1-based line of the opening fence
    occurrence: int  # how many blocks of the same page with the same code come before it
    block: doc_blocks.CodeBlock = dataclasses.field(compare=False, repr=False)

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.block.code.encode("utf-8")).hexdigest()[:16]
        return f"{self.page}:{digest}:{self.occurrence}"

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def source_pages() -> list[Path]:
    """Every Markdown file whose blocks `make test-docs` runs."""
    return sorted(DOCS.rglob("*.md")) + [README]


def skip_reason(block: doc_blocks.CodeBlock) -> str:
    """Why the doc-block tests skip this block, or "" when they run it."""
    if block.importorskip is not None:
        return f"needs {block.importorskip}"
    for text in block.marks:
        mark = eval(text, {"pytest": pytest, "sys": sys})  # as docs_tooling.doc_blocks reads marks
        if mark.name == "skip" or (mark.name == "skipif" and all(bool(arg) for arg in mark.args)):
            return doc_blocks.skip_reason(mark) or "skipped"
    return ""


def page_blocks(pages: list[Path] | None = None) -> list[PageBlock]:
    """The blocks the doc-block tests run, in page order, skipped ones left out."""
    found = []
    for path in source_pages() if pages is None else pages:
        seen: dict[str, int] = {}
        for block in doc_blocks.collected_blocks(path):
            # The record is made on the TensorFlow backend; blocks about JAX or PyTorch only stay out.
            if skip_reason(block) or "tensorflow" not in doc_blocks.block_backends(block):
                continue
            occurrence = seen.get(block.code, 0)
            seen[block.code] = occurrence + 1
            found.append(PageBlock(display_path(path), block.lineno, occurrence, block))
    return found


def prints_as_shown(item: PageBlock, output: str) -> bool:
    """Whether `output` is what the page shows, compared as the doc-block tests compare."""
    try:
        shown = doc_blocks.shown_for(ROOT / item.page, item.block)
        doc_blocks.check_output(item.block, output, item.where, shown)
    except doc_blocks.BlockFailed:
        return False
    return True


_RAISED = re.compile(r": the block raised (?P<type>\w+)\n(?P<trace>.*)\nIt printed before failing:\n", re.S)


def run_block(item: PageBlock) -> str:
    """What the block prints when run as the doc-block tests run it in-process.

    A block that raises gives what it printed, then `raised Type: message`,
    from the traceback's last line that names the exception (TensorFlow's
    errors put the message there, after the user-code frames). Object
    addresses are written `0x...`, as they change from run to run.
    """
    with tempfile.TemporaryDirectory(prefix="version-changes-") as workdir:
        try:
            if item.block.syntax == "python":
                output = doc_blocks.run_python_block(item.block, item.page, workdir)
            else:
                output = doc_blocks.run_shell_block(item.block, workdir, item.where)
        except doc_blocks.BlockFailed as failure:
            output = _failure(str(failure))
    return _ADDRESS.sub("0x...", output)


_RAISED = re.compile(r": the block raised (?P<type>\w+)\n(?P<trace>.*)\nIt printed before failing:\n", re.S)
_ADDRESS = re.compile(r"\b0x[0-9a-f]{6,}\b")


def _failure(text: str) -> str:
    match = _RAISED.search(text)
    if match is None:  # a shell block that exited non-zero
        return f"failed: {text.splitlines()[0]}\n"
    name = match["type"]
    named = re.compile(rf"(\w+\.)*{name}: (?P<message>.*)")
    messages = [m["message"] for line in match["trace"].splitlines() if (m := named.match(line.strip()))]
    raised = f"raised {name}: {messages[-1]}" if messages else f"raised {name}"
    return f"{text[match.end() :]}{raised}\n"


def run_all(items: list[PageBlock]) -> dict[str, str]:
    outputs = {}
    started = time.monotonic()
    for number, item in enumerate(items, 1):
        print(f"  [{number}/{len(items)}] {item.where}", file=sys.stderr, flush=True)
        outputs[item.key] = run_block(item)
    print(f"ran {len(items)} blocks in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return outputs


def installed_stack() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in STACK}


def pinned_stack(constraints: Path) -> dict[str, str]:
    """The versions of STACK that a constraints file pins."""
    pins = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        normal = re.sub(r"[-_.]+", "_", name.strip().lower())
        if version and normal in STACK:
            pins[normal] = version.strip()
    missing = sorted(set(STACK) - set(pins))
    if missing:
        raise RecordError(f"{display_path(constraints)} pins no {', '.join(missing)}")
    return pins


def load_record(path: Path = RECORD) -> dict:
    record = json.loads(path.read_text(encoding="utf-8"))
    if set(record) != {"stack", "rows"} or not isinstance(record["rows"], dict):
        raise RecordError(f"{display_path(path)}: expected an object with 'stack' and 'rows'")
    return record


def make_record(items: list[PageBlock], outputs: dict[str, str], stack: dict[str, str]) -> dict:
    rows = {item.key: outputs[item.key] for item in items if not prints_as_shown(item, outputs[item.key])}
    return {"stack": stack, "rows": rows}


def problems(items: list[PageBlock], outputs: dict[str, str], record: dict) -> list[str]:
    """Where the run on the oldest stack disagrees with the record; [] when it agrees."""
    found = []
    rows = record["rows"]
    for item in items:
        output, recorded = outputs[item.key], rows.get(item.key)
        if prints_as_shown(item, output):
            if recorded is not None:
                found.append(f"{item.where}: recorded as a change, but now prints the output shown")
        elif recorded is None:
            found.append(f"{item.where}: prints something other than the page shows:\n{output}")
        elif recorded != output:
            found.append(f"{item.where}: prints something other than its recorded row:\n{output}")
    return found + stale_rows(items, record)


def stale_rows(items: list[PageBlock], record: dict) -> list[str]:
    keys = {item.key for item in items}
    return [
        f"{display_path(RECORD)}: row {key} names no block the tests run (edited, moved or removed)"
        for key in record["rows"]
        if key not in keys
    ]


def heading_ids(path: Path) -> list[tuple[int, str, str]]:
    """Each heading of a page as (1-based line, text, the id MkDocs gives it)."""
    text = path.read_text(encoding="utf-8")
    converter = python_markdown.Markdown(extensions=["toc", "attr_list", "pymdownx.superfences"])
    converter.convert(text)

    def flat(tokens: list[dict]) -> list[dict]:
        return [t for token in tokens for t in [token, *flat(token["children"])]]

    toc = flat(converter.toc_tokens)  # type: ignore[attr-defined]
    tokens = markdown_fences.tokens(text)
    lines = [
        (token.map[0] + 1, tokens[index + 1].content)
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.map is not None
    ]
    if len(lines) != len(toc):
        raise RecordError(f"{display_path(path)}: markdown-it and Python-Markdown see different headings")
    return [
        (line, html.unescape(entry["name"]), entry["id"]) for (line, _), entry in zip(lines, toc, strict=True)
    ]


CELL_LINE = 200  # characters of a printed line a table cell shows; the rest is cut, marked " …"


def _cell(output: str) -> str:
    """An output as a table cell: one <code> line per printed line, nothing Markdown can touch."""

    def escape(line: str) -> str:
        if len(line) > CELL_LINE:
            line = line[:CELL_LINE] + " …"
        text = html.escape(line, quote=False)
        for char in "|`*_[]\\":
            text = text.replace(char, f"&#{ord(char)};")
        return f"<code>{text}</code>"

    return "<br>".join(escape(line) for line in output.rstrip("\n").splitlines()) or "(prints nothing)"


def _behaviour(item: PageBlock) -> str:
    path = ROOT / item.page
    headings = [(line, text, anchor) for line, text, anchor in heading_ids(path) if line < item.line]
    title = next((text for line, text, _ in heading_ids(path)), item.page)
    if not headings:
        label, anchor = title, ""
    else:
        _, section, anchor = headings[-1]
        label = section if section == title else f"{title}: {section}"
    for char in "|[]_*`":  # nothing in a heading's text may become table, link or emphasis syntax
        label = label.replace(char, f"&#{ord(char)};")
    if not item.page.startswith("docs/"):
        return f"{label} ({item.page}, line {item.line})"
    target = Path(item.page).relative_to("docs").as_posix()
    link = f"../{target}" + (f"#{anchor}" if anchor else "")
    return f"[{label}]({link}) (line {item.line})"


def render(items: list[PageBlock], record: dict, pinned: dict[str, str]) -> str:
    """The page. The oldest column comes from the record, the pinned one from the pages."""
    oldest = record["stack"]
    changed = [item for item in items if item.key in record["rows"]]

    def stack(versions: dict[str, str]) -> str:
        return f"Keras {versions['keras']}, TensorFlow {versions['tensorflow']}"

    parts = [
        "<!-- Generated by `make test-oldest UPDATE=1` (scripts/version_changes.py) from oldest-outputs.json",
        "     and the outputs the pages show; `make versions-page` re-renders it without running",
        "     anything. Do not edit: tests/tooling/test_version_changes.py fails when it is stale. -->",
        "# What changed across Keras 3 releases",
        "",
        f"Every block in this guide runs on the pinned stack, {stack(pinned)} and tf-keras "
        f"{pinned['tf_keras']}, and the output shown under it is what it prints there. The package "
        f"also supports the oldest releases it declares, {stack(oldest)} and tf-keras "
        f"{oldest['tf_keras']}, and `make test-oldest` runs every block again on them.",
        "",
        f"These {len(changed)} blocks print something else on the oldest stack; every other block "
        "prints the same on both. A line `raised Type: message` means the block stops with that "
        f"exception there; lines longer than {CELL_LINE} characters are cut, marked …, and object "
        "addresses read `0x...`.",
        "",
        f"| Behaviour | {stack(oldest)} prints | {stack(pinned)} prints |",
        "| --- | --- | --- |",
    ]
    for item in changed:
        shown = doc_blocks.shown_for(ROOT / item.page, item.block) or ""
        parts.append(f"| {_behaviour(item)} | {_cell(record['rows'][item.key])} | {_cell(shown)} |")
    if not changed:
        parts.append("| (none) | | |")
    return "\n".join(parts) + "\n"


def write_report(items: list[PageBlock], outputs: dict[str, str], path: Path) -> list[PageBlock]:
    """List the blocks whose output differs from what the page shows; return them."""
    changed = [item for item in items if not prints_as_shown(item, outputs[item.key])]
    lines = [f"# Blocks whose output changed on {json.dumps(installed_stack())}", ""]
    lines.append(f"{len(changed)} of {len(items)} blocks print something other than the page shows.")
    for item in changed:
        lines += [
            "",
            f"## {item.where}",
            "",
            "shown:",
            "```text",
            (doc_blocks.shown_for(ROOT / item.page, item.block) or "").rstrip(),
            "```",
        ]
        lines += ["printed:", "```text", outputs[item.key].rstrip(), "```"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--update", action="store_true", help="rewrite the record and the page from this run")
    mode.add_argument("--report", type=Path, metavar="FILE", help="only report the blocks that changed")
    mode.add_argument("--render", action="store_true", help="re-render the page from the record, run nothing")
    args = parser.parse_args(argv)
    items = page_blocks()
    if args.render:
        record = load_record()
        for problem in stale_rows(items, record):
            print(f"error: {problem}", file=sys.stderr)
        PAGE.write_text(render(items, record, pinned_stack(CONSTRAINTS)), encoding="utf-8")
        return 1 if stale_rows(items, record) else 0
    outputs = run_all(items)
    if args.report is not None:
        changed = write_report(items, outputs, args.report)
        print(args.report.read_text(encoding="utf-8"))
        return 1 if changed else 0
    stack = installed_stack()
    if args.update:
        if stack != pinned_stack(CONSTRAINTS_OLDEST):
            print(f"error: installed {stack} is not the stack of constraints-oldest.txt", file=sys.stderr)
            return 1
        record = make_record(items, outputs, stack)
        RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        PAGE.write_text(render(items, record, pinned_stack(CONSTRAINTS)), encoding="utf-8")
        print(f"wrote {display_path(RECORD)} and {display_path(PAGE)}: {len(record['rows'])} rows")
        return 0
    record = load_record()
    if stack != record["stack"]:
        print(f"error: the record was made on {record['stack']}, this is {stack}", file=sys.stderr)
        return 1
    found = problems(items, outputs, record)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        print("run `make test-oldest UPDATE=1` to record this run, and review the diff", file=sys.stderr)
        return 1
    print(f"{len(items)} blocks: {len(record['rows'])} print their recorded row, the rest their shown output")
    return 0


if __name__ == "__main__":
    sys.exit(main())
