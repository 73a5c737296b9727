"""The built API reference pages show what the package's docstrings say.

Every object mkdocstrings rendered on a reference page is checked against the
docstring parser mkdocstrings uses (griffe, loading the source statically, as
the build does, so TensorFlow is never imported):

* no `>>>` outside a code element: an example is highlighted code, never a
  paragraph (a singular `Example:` section is an admonition in griffe's Google
  style, and its `>>>` lines become Markdown quotes);
* each example's code, output included, is on the page exactly as the doctest
  in tests/test_docstrings.py runs it;
* each Parameters, Returns, Raises and Attributes table has one row per item
  the parser read, with the same names, and each item is a real one: a
  parameter of the signature, an attribute of the class, an exception name,
  and one return value (a wrapped description line read as a second item
  fails here);
* each object links to its lines in the repository (mkdocs.yml's
  `extra.social` GitHub link) at the ref the site was built from;
* the package's documented objects named in a signature or as code in a
  description link to their entries;
* every name `keras_call_guide` exports is rendered on a reference page.

Needs only the built site (the `site_dir` fixture), no browser.
"""

from __future__ import annotations

import ast
import doctest
import html.parser
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import griffe
import pytest

from docs_tooling.paths import SRC

PACKAGE = "keras_call_guide"
SECTION_TITLES = {
    "Parameters:": griffe.DocstringSectionKind.parameters,
    "Returns:": griffe.DocstringSectionKind.returns,
    "Raises:": griffe.DocstringSectionKind.raises,
    "Attributes:": griffe.DocstringSectionKind.attributes,
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# --- a small DOM over the standard library's HTML parser -----------------------------


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.elements()

    def texts(self):
        """(text, its parent element) for every text node below this one."""
        for child in self.children:
            if isinstance(child, str):
                yield child, self
            else:
                yield from child.texts()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


# --- what the pages rendered ---------------------------------------------------


@dataclass
class RenderedObject:
    page: str
    path: str  # the heading id: the identifier given to `:::`, or a member of it
    root: bool  # given to `:::` itself, not one of its members
    node: Node  # the div.doc-object

    def own_elements(self):
        """Elements of this object, not of the members rendered inside it."""
        stack = list(reversed([c for c in self.node.children if isinstance(c, Node)]))
        while stack:
            element = stack.pop()
            if "doc-object" in element.classes:
                continue
            yield element
            stack.extend(reversed([c for c in element.children if isinstance(c, Node)]))

    def sections(self) -> list[tuple[str, list[str]]]:
        """(title, first cell of each row) for every section table of this object."""
        found = []
        elements = list(self.own_elements())
        for index, element in enumerate(elements):
            if element.tag == "span" and "doc-section-title" in element.classes:
                title = element.text().strip()
                table = next((e for e in elements[index:] if e.tag == "table"), None)
                if title in SECTION_TITLES and table is not None:
                    rows = [
                        row
                        for row in table.elements()
                        if row.tag == "tr" and "doc-section-item" in row.classes
                    ]
                    cells = [
                        next(c for c in row.children if isinstance(c, Node) and c.tag == "td") for row in rows
                    ]
                    found.append((title, [" ".join(cell.text().split()) for cell in cells]))
        return found

    def code_blocks(self) -> list[str]:
        return [
            element.text()
            for element in self.own_elements()
            if element.tag == "code"
            and element.parent is not None
            and element.parent.tag == "pre"
            and "doc-signature" not in element.parent.parent.classes
        ]

    def signature(self) -> Node | None:
        return next((e for e in self.own_elements() if "doc-signature" in e.classes), None)

    def source_links(self) -> list[str]:
        return [
            a.attrs.get("href", "")
            for e in self.own_elements()
            if "doc-source-link" in e.classes
            for a in e.elements()
            if a.tag == "a"
        ]


@dataclass
class ReferencePages:
    pages: dict[str, Node]
    objects: list[RenderedObject]

    def __repr__(self) -> str:
        return f"<{len(self.objects)} objects on {sorted(self.pages)}>"


def read_reference_pages(site_dir: Path) -> ReferencePages:
    pages, objects = {}, []
    for path in sorted((site_dir / "reference").rglob("index.html")):
        name = path.relative_to(site_dir).as_posix()
        root = parse_html(path.read_text(encoding="utf-8"))
        pages[name] = root
        for div in root.elements():
            if div.tag == "div" and "doc-object" in div.classes:
                heading = next(
                    (c for c in div.children if isinstance(c, Node) and "doc-heading" in c.classes), None
                )
                if heading is not None and heading.attrs.get("id", "").startswith(PACKAGE):
                    nested = any("doc-object" in a.classes for a in div.ancestors())
                    objects.append(RenderedObject(name, heading.attrs["id"], not nested, div))
    return ReferencePages(pages, objects)


# --- what the docstring parser reads -----------------------------------------------


def load_package() -> griffe.ModulesCollection:
    collection = griffe.ModulesCollection()
    loader = griffe.GriffeLoader(
        search_paths=[str(SRC)], allow_inspection=False, modules_collection=collection
    )
    loader.load(PACKAGE)
    loader.resolve_aliases(implicit=True)
    return collection


def handler_options(mkdocs_config: dict) -> dict:
    for plugin in mkdocs_config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            return plugin["mkdocstrings"]["handlers"]["python"]["options"]
    raise AssertionError("mkdocs.yml has no mkdocstrings plugin")


class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def parse_docstring(obj, options: dict) -> tuple[list[griffe.DocstringSection], list[str]]:
    """The sections mkdocstrings renders for `obj`, and griffe's warnings while reading them."""
    warnings = _Warnings()
    logger = logging.getLogger("griffe")
    logger.addHandler(warnings)
    try:
        sections = []
        docstrings = [obj.docstring]
        if obj.is_class and options.get("merge_init_into_class") and "__init__" in obj.members:
            docstrings.append(obj.members["__init__"].docstring)
        for docstring in docstrings:
            if docstring is not None:
                sections += griffe.parse(
                    docstring, options["docstring_style"], **options.get("docstring_options", {})
                )
    finally:
        logger.removeHandler(warnings)
    return sections, warnings.messages


def signature_parameters(obj) -> list[str] | None:
    function = obj.members.get("__init__") if obj.is_class else obj
    if function is None or not function.is_function:
        return None
    return [p.name for p in function.parameters if p.name not in ("self", "cls")]


def problems_with_items(obj, kind, items) -> list[str]:
    """Items that are not what a section of that kind documents."""
    problems = []
    if kind is griffe.DocstringSectionKind.parameters:
        known = signature_parameters(obj)
        for item in items:
            if known is not None and item.name.lstrip("*") not in known:
                problems.append(f"Parameters: {item.name!r} is not a parameter of {known}")
    elif kind is griffe.DocstringSectionKind.attributes:
        for item in items:
            if item.name not in obj.all_members:
                problems.append(f"Attributes: {item.name!r} is not an attribute")
    elif kind is griffe.DocstringSectionKind.raises:
        for item in items:
            if not re.fullmatch(r"[A-Za-z_][\w.]*", str(item.annotation)):
                problems.append(f"Raises: {str(item.annotation)!r} is not an exception name")
    elif kind is griffe.DocstringSectionKind.returns:
        returns = getattr(obj, "returns", None)
        elements = (
            len(returns.slice.elements)
            if isinstance(returns, griffe.ExprSubscript)
            and returns.canonical_name == "tuple"
            and isinstance(returns.slice, griffe.ExprTuple)
            else 1
        )
        if len(items) != elements:
            problems.append(
                f"Returns: {len(items)} items for {elements} return value(s): "
                + " | ".join(item.description for item in items)
            )
    return problems


def expected_cells(kind, items) -> list[str]:
    if kind in (griffe.DocstringSectionKind.parameters, griffe.DocstringSectionKind.attributes):
        return [item.name for item in items]
    return [getattr(item, "name", "") or str(item.annotation) for item in items]


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(site_dir) -> ReferencePages:
    pages = read_reference_pages(site_dir)
    assert pages.objects, f"no API object rendered under {site_dir}/reference"
    return pages


@pytest.fixture(scope="module")
def package() -> griffe.ModulesCollection:
    return load_package()


def griffe_object(package, path):
    obj = package[path]
    return obj.final_target if obj.is_alias else obj


# --- the checks -------------------------------------------------------------------------


def test_no_example_prompt_outside_code(reference):
    outside = []
    for name, root in reference.pages.items():
        for text, parent in root.texts():
            if ">>>" in text and not any(e.tag in ("code", "pre") for e in (parent, *parent.ancestors())):
                outside.append(f"{name}: {' '.join(text.split())[:100]!r}")
    # Markdown reads a `>>>` line outside a code block as three nested quotes,
    # which swallow the prompt: a docstring has no other use for a quote.
    for rendered in reference.objects:
        for element in rendered.own_elements():
            if element.tag == "blockquote" and element.parent.tag != "blockquote":
                outside.append(
                    f"{rendered.page}: {rendered.path}: quoted {' '.join(element.text().split())[:100]!r}"
                )
    assert not outside, "`>>>` rendered as text, not code (use an `Examples:` section):\n" + "\n".join(
        outside
    )


def doctest_transcripts(docstring: str) -> list[str]:
    """Each example as the doctest in tests/test_docstrings.py runs it: code, then output."""
    transcripts = []
    for example in doctest.DocTestParser().get_examples(docstring):
        source = example.source.rstrip("\n").split("\n")
        lines = [">>> " + source[0]] + ["... " + line for line in source[1:]]
        transcripts.append("\n".join(lines) + "\n" + example.want)
    return transcripts


def test_examples_are_shown_exactly_as_the_doctests_run_them(reference, package):
    missing, examples = [], 0
    for rendered in reference.objects:
        docstring = griffe_object(package, rendered.path).docstring
        blocks = [block if block.endswith("\n") else block + "\n" for block in rendered.code_blocks()]
        for transcript in doctest_transcripts(docstring.value if docstring else ""):
            examples += 1
            if not any(transcript in block for block in blocks):
                missing.append(f"{rendered.path}:\n{transcript}")
    assert examples >= 20, f"only {examples} doctest examples found on the reference pages"
    assert not missing, "examples not shown as code, exactly as they run:\n" + "\n".join(missing)


def test_section_tables_have_one_row_per_documented_item(reference, package, mkdocs_config):
    options = handler_options(mkdocs_config)
    wrong, tables = [], 0
    for rendered in reference.objects:
        obj = griffe_object(package, rendered.path)
        sections, warnings = parse_docstring(obj, options)
        wrong += [f"{rendered.path}: griffe: {message}" for message in warnings]
        expected = [
            (title, expected_cells(kind, section.value), section.value, kind)
            for title, kind in SECTION_TITLES.items()
            for section in sections
            if section.kind is kind
        ]
        shown = rendered.sections()
        tables += len(shown)
        if [(t, cells) for t, cells, _, _ in expected] != shown:
            wrong.append(
                f"{rendered.path}: the parser reads "
                f"{[(t, cells) for t, cells, _, _ in expected]}, the page shows {shown}"
            )
        for _, _, items, kind in expected:
            wrong += [f"{rendered.path}: {p}" for p in problems_with_items(obj, kind, items)]
    assert tables >= 20, f"only {tables} section tables found on the reference pages"
    assert not wrong, "\n".join(wrong)


def test_every_object_links_to_its_source_lines(reference, package, mkdocs_config):
    repositories = [
        s["link"] for s in mkdocs_config["extra"]["social"] if s["link"].startswith("https://github.com/")
    ]
    assert len(repositories) == 1, "extra.social should link one GitHub repository"
    ref = os.environ.get("KCG_SOURCE_REF", "main")
    wrong = []
    for rendered in reference.objects:
        obj = griffe_object(package, rendered.path)
        lines = f"L{obj.lineno}" + (f"-L{obj.endlineno}" if obj.endlineno != obj.lineno else "")
        expected = f"{repositories[0]}/blob/{ref}/src/{obj.relative_package_filepath.as_posix()}#{lines}"
        if rendered.source_links() != [expected]:
            wrong.append(f"{rendered.path}: {rendered.source_links()} != [{expected!r}]")
    assert not wrong, "\n".join(wrong)


def test_package_objects_are_cross_referenced(reference):
    """A documented object's name, in a signature or as code in a description, links to it."""
    anchors = {
        rendered.path.rsplit(".", 1)[-1]: rendered.path for rendered in reference.objects if rendered.root
    }
    unlinked = []
    for rendered in reference.objects:
        own_name = rendered.path.rsplit(".", 1)[-1]
        code = [
            e
            for e in rendered.own_elements()
            if "doc-signature" in e.classes
            or (e.tag == "code" and not any(a.tag == "pre" for a in e.ancestors()))
        ]
        for element in code:
            for text, parent in element.texts():
                for name in re.findall(r"[A-Za-z_]\w*", text):
                    if name not in anchors or name == own_name:
                        continue
                    link = next((a for a in (parent, *parent.ancestors()) if a.tag == "a"), None)
                    if link is None or not link.attrs.get("href", "").endswith("#" + anchors[name]):
                        unlinked.append(f"{rendered.path}: `{name}` in {' '.join(text.split())!r}")
    assert not unlinked, "not linked to its entry:\n" + "\n".join(sorted(set(unlinked)))


def test_every_exported_name_is_on_a_reference_page(reference, package):
    init = ast.parse((SRC / PACKAGE / "__init__.py").read_text())
    exported = next(
        ast.literal_eval(node.value)
        for node in init.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
    )
    shown = {griffe_object(package, rendered.path).path for rendered in reference.objects}
    missing = [name for name in exported if griffe_object(package, f"{PACKAGE}.{name}").path not in shown]
    assert not missing, f"exported but not on any reference page: {missing}"
