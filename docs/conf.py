r"""Sphinx configuration of the documentation site (built by ``.ci/docs`` into ``site/``).

Why this stack: Sphinx is what the projects our readers already read (JAX, NumPy, optax,
hypothesis) build their sites with, and it reads the API straight from the docstrings (autodoc,
Google-style sections through napoleon).  Pages are Markdown (MyST).  Formulas are typeset at
build time by KaTeX (sphinxcontrib-katex's prerendering, KaTeX from npm): the pages carry finished
HTML, the site serves KaTeX's stylesheet and fonts itself, and no page loads a script, a style or
a font from anywhere else.  A formula KaTeX rejects is a warning with its file and line, and the
build treats warnings as errors.  The theme, Furo, uses the system's fonts.

The docstrings write math between dollars (``$…$`` inline, ``$$…$$`` on lines of their own),
which reads well as source; :func:`dollars_to_math` turns them into reST math before autodoc
parses the docstring.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE, Popen

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.ext import napoleon
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode
from sphinxcontrib import katex

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the checkout's own packages, whether or not it is installed
KATEX_DIST = DOCS / "node_modules" / "katex" / "dist"
GENERATED = DOCS / "_generated"

project = "Matrix calculus, verified"
author = "the matrix-calculus-verified developers"
copyright = "the matrix-calculus-verified developers"  # noqa: A001 (Sphinx's own name for it)

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinxcontrib.katex"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["README.md", "node_modules", "_generated", "package.json", "package-lock.json", "check_site.mjs"]
root_doc = "index"

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

nitpicky = True  # every cross-reference must resolve
nitpick_ignore_regex = [
    # Other projects' types in signatures: no inventory is fetched (the build reaches no network).
    (r"py:.*", r"(np|numpy|jax|jaxlib|jnp|hypothesis|st|rich|argparse|collections|typing|types|pathlib|concurrent|enum|"
               r"dataclasses|os|io|threading|multiprocessing|numbers|contextlib)(\..*)?"),
    (r"py:class", r"(Any|Callable|Iterable|Iterator|Sequence|Mapping|Path|ArrayLike|DTypeLike|Array|"
                  r"SearchStrategy|TextIO|Literal|Self|NDArray|ndarray|dtype|Generator|ContextManager)"),
    (r"py:class", r"(int|float|bool|str|bytes|tuple|list|dict|set|frozenset|object|type|None|callable|optional)"),
    (r"py:class", r".*\[.*"),  # a piece of a subscripted annotation (``dict[str``), as autodoc splits a dataclass field's
]

katex_prerender = True  # typeset at build time: the pages need no script to show a formula
katex_js_path = str(KATEX_DIST / "katex.min.js")  # the renderer the build runs (in node), not served
katex_css_path = "katex/katex.min.css"  # served by the site: _static/katex/, with its fonts

html_theme = "furo"
html_title = "Matrix calculus, verified"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # without one, a browser asks for /favicon.ico, which the site lacks
html_copy_source = False
html_show_sourcelink = False

logger = logging.getLogger(__name__)

DISPLAY = re.compile(r"^(?P<indent>[ \t]*)\$\$(?P<tex>.+?)\$\$[ \t]*$", re.M | re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?P<tex>[^$]+?)(?<!\\)\$")
QUOTED = re.compile(r"(``.+?``|:[\w:]+:`[^`]*`|`[^`]*`_?)", re.S)
"""Literals, roles and interpreted text: where a ``|`` is the text's own."""


def _role(match: re.Match[str]) -> str:
    """``$tex$`` as a ``:math:`` role, escaped from the word characters around it (reST wants
    inline markup to stand apart)."""
    text, start, end = match.string, match.start(), match.end()
    before = "\\ " if start > 0 and text[start - 1].isalnum() else ""
    after = "\\ " if end < len(text) and (text[end].isalnum() or text[end] in "'’") else ""
    return f"{before}:math:`{match['tex'].strip()}`{after}"


def dollars_to_math(text: str) -> str:
    """A docstring's ``$$…$$`` lines as ``.. math::`` blocks and its ``$…$`` as ``:math:`` roles."""
    def block(match: re.Match[str]) -> str:
        indent = match["indent"]
        tex = " ".join(line.strip() for line in match["tex"].strip().splitlines())
        return f"\n{indent}.. math:: {tex}\n"
    text = INLINE.sub(_role, DISPLAY.sub(block, text))
    # Prose writes |x| for an absolute value or a size; to reST it would be a substitution.
    return "".join(part if i % 2 else part.replace("|", "\\|") for i, part in enumerate(QUOTED.split(text)))


def docstring_math(app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    converted = dollars_to_math("\n".join(lines)).split("\n")
    lines[:] = converted


def google_sections(app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    """Napoleon's reading of the Google-style sections (``Args:``, ``Returns:``, ``Examples:``), but
    not of a constant's or an attribute's docstring: napoleon takes a first line ``Word: text``
    there for a type and its description, and this project's constants are documented in prose."""
    if what not in {"attribute", "data", "property"}:
        napoleon._process_docstring(app, what, name, obj, options, lines)


def check_formulas(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Every formula of the page through KaTeX with errors raised, so that a formula it rejects
    is a warning at its own line (KaTeX's rendering would otherwise draw it in red)."""
    for node in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
        try:
            katex.render_latex(node.astext(), {"throwOnError": True, "displayMode": isinstance(node, nodes.math_block)})
        except katex.KaTeXError as error:
            logger.warning("KaTeX rejects %r: %s", node.astext(), error, location=node)


class PublicMembers(SphinxDirective):
    """``.. public-members:: reference.elementwise``: the module's ``__all__``, each documented by
    autodoc under the package's name (``reference.div_jacobian_x``), the name a user imports; the
    page's module docstring comes from ``automodule`` as usual."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module = importlib.import_module(self.arguments[0])
        package = module.__name__.rpartition(".")[0]
        lines = [f".. currentmodule:: {package}", ""]
        for name in module.__all__:
            kind = "autoclass" if isinstance(getattr(module, name), type) else "autofunction"
            lines += [f".. {kind}:: {name}", ""]
        container = nodes.section()
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), self.content_offset, container)
        return list(container.children)


def _object_at(dotted: str) -> object | None:
    """The object a dotted name reaches (a module, then attributes), or None."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return None
        return obj
    return None


def resolve_reexport(app: Sphinx, env: BuildEnvironment, node: addnodes.pending_xref,
                     contnode: nodes.TextElement) -> nodes.reference | None:
    """A Python cross-reference to a name that is the same object as a documented one under
    another name (``verification.train.stable_learning_rate`` is ``reference.stable_learning_rate``)
    resolves to that one."""
    if node.get("refdomain") != "py":
        return None
    domain = env.domains.python_domain
    if not hasattr(env, "documented_by_identity"):
        documented = {}
        for name, entry in domain.objects.items():
            if entry.objtype != "module" and not entry.aliased:
                obj = _object_at(name)
                if obj is not None:
                    documented[id(obj)] = (name, entry)
        env.documented_by_identity = documented  # type: ignore[attr-defined]
    target, module = node["reftarget"], node.get("py:module")
    for dotted in ([f"{module}.{target}"] if module else []) + [target]:
        obj = _object_at(dotted)
        if obj is not None and id(obj) in env.documented_by_identity:  # type: ignore[attr-defined]
            name, entry = env.documented_by_identity[id(obj)]  # type: ignore[attr-defined]
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, name)
    # A bare name from a docstring whose object is documented under a re-exported name: the one
    # documented object of that name, if there is exactly one.
    found = {id_: (name, entry) for id_, (name, entry) in env.documented_by_identity.items()  # type: ignore[attr-defined]
             if name.endswith("." + target)}
    if "." not in target and len(found) == 1:
        ((name, entry),) = found.values()
        return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, name)
    return None


def rule_table(app: Sphinx) -> None:
    """The rule table, as ``python -m verification rules --markdown --latex`` prints it from
    ``RULES``, for rules.md to include: it is right whatever the rules' modules hold."""
    table = subprocess.run([sys.executable, "-m", "verification", "rules", "--markdown", "--latex"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    if table.returncode != 0:
        raise RuntimeError(f"`python -m verification rules --markdown --latex` failed:\n{table.stderr}")
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "rules.md").write_text(table.stdout, encoding="utf-8")


def _summary(path: Path) -> str:
    """The first sentence of a module's docstring, on one line."""
    text = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = " ".join(text.split("\n\n", 1)[0].split())
    return first.split(". ", 1)[0].rstrip(".") + "." if first else ""


def module_layout(app: Sphinx) -> None:
    """Every module of ``reference`` and ``verification``, with the first sentence of its docstring
    (its one role), for layout.md to include: a module added, moved or removed shows at the next
    build, so the page stays true."""
    lines = []
    for package in ("reference", "verification"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            depth = len(relative.parts) - 1 - (path.name == "__init__.py")
            name = f"{relative.parent}/" if path.name == "__init__.py" else relative.name
            role = _summary(path)
            lines.append(f"{'  ' * depth}- `{name}`: {role}")
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "layout.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def katex_assets(app: Sphinx, exception: Exception | None) -> None:
    """KaTeX's stylesheet and fonts into the site, beside each other as the stylesheet expects."""
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "katex"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(KATEX_DIST / "katex.min.css", target / "katex.min.css")
        shutil.copytree(KATEX_DIST / "fonts", target / "fonts", dirs_exist_ok=True)


def _start_katex_process(cls: type[katex.KaTeXServer], rundir: Path, timeout: float) -> tuple[Popen[bytes], socket.socket]:
    """sphinxcontrib-katex's start of its render server, connecting until the server listens:
    the socket file exists a moment before it does, and a connection in that moment is refused."""
    socket_path = rundir / "katex.sock"
    process = Popen(cls.build_command(socket=socket_path), stdin=PIPE, stdout=PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(socket_path))
            return process, sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise katex.KaTeXError(f"the KaTeX render server did not start within {timeout} s") from None
            time.sleep(0.01)


def setup(app: Sphinx) -> None:
    katex.KaTeXServer.start_server_process = classmethod(_start_katex_process)  # type: ignore[method-assign,assignment]
    if not (KATEX_DIST / "katex.min.js").is_file():
        raise RuntimeError(f"KaTeX is not installed: run `npm ci` in {DOCS}")
    app.add_directive("public-members", PublicMembers)
    app.connect("builder-inited", rule_table)
    app.connect("builder-inited", module_layout)
    for listener in list(app.events.listeners["autodoc-process-docstring"]):
        if listener.handler is napoleon._process_docstring:  # replaced by google_sections
            app.disconnect(listener.id)
    app.connect("autodoc-process-docstring", docstring_math, priority=400)  # before napoleon reads the sections
    app.connect("autodoc-process-docstring", google_sections)
    app.connect("missing-reference", resolve_reexport)
    app.connect("doctree-resolved", check_formulas)
    app.connect("build-finished", katex_assets)
