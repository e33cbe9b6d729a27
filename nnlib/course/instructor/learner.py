"""The learner edition: the chapters as plain Jupyter notebooks, without solutions.

``make learner`` (``python -m nnlib.course.instructor learner --out learner``) writes
``learner/NN_*.ipynb`` from ``book/NN_*.ipynb``. It starts from the student edition
(:func:`nnlib.course.instructor.student.make_student_notebook`: solution cells become stubs,
``{solution}`` dropdowns go, outputs are cleared) and then converts the MyST markup, which
JupyterLab, Notebook 7, VS Code and Colab show raw, into plain Jupyter Markdown:

Directives (backtick ```` ```{name} ```` or colon ``:::{name}`` fences, any length, nested)
    ``{admonition}`` (title = its argument, ``:class:`` picks the icon), ``{note}``, ``{tip}``,
    ``{important}``, ``{warning}``, ``{caution}``, ``{attention}``, ``{danger}``, ``{error}``,
    ``{hint}``, ``{seealso}``, ``{dropdown}``, sphinx-exercise's ``{exercise}`` and
    sphinx-proof's ``{proof}``, ``{theorem}``, ``{lemma}``, ... become a blockquote whose
    first line is a bold title (``> **💡 Learning goals**``); nested directives become nested
    blockquotes. An exercise is titled "Exercise N.k" (chapter N, k-th exercise, as the book
    numbers them) and gets an ``<a id="label"></a>`` anchor. ``{math}`` becomes a ``$$``
    block, ``{figure}``/``{image}`` a Markdown image (the path made relative to
    ``learner/``) with the caption in italics; ``{glue:figure}`` and any other directive
    keep their body as a blockquote. Option lines (``:class:``, ``:label:``, ...) are consumed.

Equations
    ``$$ ... $$ (eq-label)`` and ``{math}`` with ``:label:`` get ``\\tag{N.k}``, numbered
    per chapter in order of appearance as the book numbers them, and an anchor before
    the block; ``{eq}`label``` becomes the link ``[(N.k)](#label)`` (in code cells the text
    ``(N.k)``; a plain "(eq-label)" in a code comment becomes "(N.k)").

Roles
    ``{doc}`01_perceptron``` becomes ``[Chapter 1: The perceptron](01_perceptron.ipynb)``
    (explicit text ``{doc}`text <target>``` kept); a page that is not a chapter notebook
    (notation, bibliography, instructors) links to its page of the published book.
    ``{ref}`label``` / ``{numref}`label``` link to the chapter or book page that defines
    ``(label)=`` (text: the heading below it). ``{cite}`` / ``{cite:p}`` become
    "(Author, Year; ...)" and ``{cite:t}`` "Author (Year)", read from
    ``book/references.bib`` and linked to the bibliography page of the published book.
    Any other role keeps its text. ``(label)=`` target lines become ``<a id="label"></a>``;
    ``{{ repo_url }}`` is replaced by the repository URL.

Cells
    The Colab install cell (the first cell, tagged ``remove-cell``) is kept: it does
    nothing outside Colab. Other ``remove-cell`` cells are kept too (they may be needed to
    run). ``hide-input`` / ``remove-input`` / ``remove-output`` tags are left as they are
    (plain Jupyter ignores them). A learner note follows the title.

``tests/test_learner_edition.py`` checks each rule, that no MyST syntax remains in any
learner notebook, and that the committed ``learner/`` is what this module writes.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .chapters import chapter_notebooks, exercises_of, read_notebook
from .student import make_student_notebook

__all__ = ["LEARNER_NOTE", "Context", "convert_markdown", "convert_code", "make_learner_notebook",
           "write_learner_edition", "learner_notebooks", "parse_bib", "book_context",
           "render_learner_edition"]

REPO_ROOT = Path(__file__).resolve().parents[3]

_ICONS = {"tip": "💡", "hint": "💡", "note": "ℹ️", "seealso": "ℹ️", "important": "❗",
          "attention": "❗", "warning": "⚠️", "caution": "⚠️", "danger": "⛔",
          "error": "⛔", "dropdown": "▸", "exercise": "✏️"}
_ADMONITIONS = {"note", "tip", "hint", "important", "attention", "warning", "caution",
                "danger", "error", "seealso"}
_PROOF = {"proof", "theorem", "lemma", "definition", "corollary", "proposition", "axiom",
          "conjecture", "example", "remark", "criterion", "algorithm", "observation",
          "property", "assumption", "notation"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*"
                    r"(?P<arg>.*?)\s*$")
_PLAIN_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")
_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*?)\s*$")
_EQ_LABEL = re.compile(r"^(?P<pre>[ \t]*)\$\$[ \t]*\((?P<label>[^)\s]+)\)[ \t]*$")
_TARGET = re.compile(r"^\((?P<label>[\w:-]+)\)=[ \t]*$")
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<body>[^`]*)`")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^>]+)>$", re.S)
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)

LEARNER_NOTE = (
    "> **📓 Learner edition.** This notebook is generated from the chapter of the book "
    "*Neural Networks from Scratch* ([HTML book]({book_url}), solved notebook: "
    "[`book/{name}`]({repo_url}/blob/{branch}/book/{name})). The solutions are removed: "
    "each exercise's code cell holds the `def` line and docstring of the function to "
    "write and a `raise NotImplementedError(...)` saying what to do. Replace that line "
    "with your code and run the check cell below it: it prints `❌ Not solved yet` until "
    "you have written something, `❌ Not yet` with a hint while the answer is wrong, and "
    "`✅ Correct` when it agrees with `nnlib`'s reference. The rest of the chapter runs "
    "without your answers (it uses its own code and `nnlib`'s), so run it from the top."
)


@dataclass
class Context:
    """What the conversion needs to know about the book."""

    book_url: str = "https://example.org/book/"       # published HTML book, ends with /
    repo_url: str = "https://example.org/repo"
    branch: str = "main"
    chapter: int | None = None                        # number of the chapter converted
    chapters: dict[str, str] = field(default_factory=dict)   # "01_perceptron" -> title
    numbers: dict[str, int] = field(default_factory=dict)    # "01_perceptron" -> 1
    targets: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (doc, text)
    bib: dict[str, tuple[str, str]] = field(default_factory=dict)     # key -> (authors, year)
    equations: dict[str, str] = field(default_factory=dict)  # label -> "2.1" (this chapter)
    exercises: dict[str, str] = field(default_factory=dict)  # label -> "2.1"
    titles: dict[str, str] = field(default_factory=dict)     # any page -> its title

    def page_url(self, doc: str, anchor: str | None = None) -> str:
        """Link to ``doc`` (e.g. "notation"): a learner notebook or the book's HTML page."""
        doc = doc.removeprefix("book/").removesuffix(".ipynb").removesuffix(".md")
        if doc in self.chapters:
            url = f"{doc}.ipynb"
        else:
            url = f"{self.book_url}book/{doc}.html"
        return url + (f"#{anchor}" if anchor else "")


# ------------------------------------------------------------------ bibliography
_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303",
            "c": "\u0327", "v": "\u030c", "=": "\u0304", ".": "\u0307", "u": "\u0306"}


def _delatex(text: str) -> str:
    import unicodedata

    def accent(m):
        return unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)])

    text = re.sub(r"\{?\\([`'\"^~cv=.u])\{?([A-Za-z])\}?\}?", accent, text)
    text = text.replace("\\&", "&").replace("--", "–")
    return re.sub(r"[{}]", "", text).strip()


def _last_name(author: str) -> str:
    author = author.strip()
    if "," in author:
        return _delatex(author.split(",")[0])
    braced = re.match(r"^\{(.*)\}$", author)
    if braced:                                   # {Organisation Name}
        return _delatex(braced.group(1))
    return _delatex(author.split()[-1])


def parse_bib(text: str) -> dict[str, tuple[str, str]]:
    """``{key: (authors, year)}`` from BibTeX: "Last", "Last and Last" or "Last et al."."""
    entries = {}
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,", text):
        key, start, depth, i = m.group(1), m.end(), 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[start:i - 1]
        fields = {}
        for f in re.finditer(r"(\w+)\s*=\s*", body):
            j = f.end()
            if j < len(body) and body[j] == "{":
                d, k = 0, j
                while k < len(body):
                    d += {"{": 1, "}": -1}.get(body[k], 0)
                    k += 1
                    if d == 0:
                        break
                value = body[j + 1:k - 1]
            else:
                value = re.match(r"[^,\n]*", body[j:]).group(0)
            fields.setdefault(f.group(1).lower(), value.strip().strip('"'))
        names = [_last_name(a) for a in re.split(r"\s+and\s+", fields.get("author", ""))
                 if a.strip()]
        if len(names) >= 3:
            authors = f"{names[0]} et al."
        elif names:
            authors = " and ".join(names)
        else:
            authors = _delatex(fields.get("title", key))
        entries[key] = (authors, _delatex(fields.get("year", "n.d.")))
    return entries


# ------------------------------------------------------------------ roles
def _cite(ctx: Context, role: str, body: str) -> str:
    keys = [k.strip() for k in body.split(",") if k.strip()]
    link = f"{ctx.book_url}book/bibliography.html"
    parts = []
    for key in keys:
        if key not in ctx.bib:
            raise KeyError(f"citation {key!r} is not in book/references.bib")
        authors, year = ctx.bib[key]
        if role == "cite:t":
            parts.append(f"[{authors} ({year})]({link})")
        else:
            parts.append(f"[{authors}, {year}]({link})")
    return ", ".join(parts) if role == "cite:t" else "(" + "; ".join(parts) + ")"


def _split_explicit(body: str) -> tuple[str | None, str]:
    m = _EXPLICIT.match(body)
    return (m.group("text"), m.group("target")) if m else (None, body)


def _role(ctx: Context, m: re.Match, code: bool = False) -> str:
    role, body = m.group("role"), m.group("body")
    if role in {"cite", "cite:p", "cite:t", "cite:ps", "cite:ts"}:
        text = _cite(ctx, role.rstrip("s") if role.endswith("s") else role, body)
        return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text) if code else text
    if role == "eq":
        label = body.strip()
        if label not in ctx.equations:
            raise KeyError(f"{{eq}}`{label}`: no equation labelled {label!r} in this chapter")
        n = ctx.equations[label]
        return f"({n})" if code else f"[({n})](#{label})"
    if role == "doc":
        text, target = _split_explicit(body)
        doc = target.strip().removeprefix("book/")
        if text is None:
            if doc in ctx.chapters:
                text = f"Chapter {ctx.numbers[doc]}: {ctx.chapters[doc]}"
            else:
                text = ctx.titles.get(doc) or doc.replace("_", " ")
        return text if code else f"[{text}]({ctx.page_url(doc)})"
    if role in {"ref", "numref"}:
        text, label = _split_explicit(body)
        label = label.strip()
        if label in ctx.exercises:
            text = text or f"Exercise {ctx.exercises[label]}"
            return text if code else f"[{text}](#{label})"
        if label in ctx.equations:
            text = text or f"({ctx.equations[label]})"
            return text if code else f"[{text}](#{label})"
        if label not in ctx.targets:
            raise KeyError(f"{{{role}}}`{body}`: no target ({label})= in the book")
        doc, heading = ctx.targets[label]
        text = (text or heading).replace("{number}", "").strip()
        if code:
            return text
        return f"[{text}]({ctx.page_url(doc, None if doc in ctx.chapters else label)})"
    _, target = _split_explicit(body)      # any other role: its text, as code
    return f"`{target}`" if role in {"code", "samp", "file", "kbd", "command"} else target


def convert_roles(text: str, ctx: Context, code: bool = False) -> str:
    """Every ``{role}`...``` of ``text`` as Markdown (``code=True``: plain text)."""
    text = text.replace("{{ repo_url }}", ctx.repo_url).replace("{{repo_url}}", ctx.repo_url)
    return _ROLE.sub(lambda m: _role(ctx, m, code), text)


def convert_code(source: str, ctx: Context) -> str:
    """A code cell's source with the MyST roles of its comments and docstrings as text."""
    source = convert_roles(source, ctx, code=True)
    return re.sub(r"\((eq-[\w-]+)\)", lambda m: f"({ctx.equations[m.group(1)]})"
                  if m.group(1) in ctx.equations else m.group(0), source)


# ------------------------------------------------------------------ directives
def _quote(lines: list[str]) -> list[str]:
    return [("> " + ln) if ln.strip() else ">" for ln in lines]


def _closes(line: str, fence: str) -> bool:
    s = line.strip()
    return len(s) >= len(fence) and set(s) == {fence[0]}


def _block(lines: list[str], i: int, fence: str) -> tuple[list[str], int]:
    """The body lines of the fence opened at ``lines[i - 1]`` and the index after it."""
    body, depth = [], 0
    while i < len(lines):
        line = lines[i]
        inner = _FENCE.match(line)
        plain = _PLAIN_FENCE.match(line) if not inner else None
        if depth == 0 and _closes(line, fence) and not inner:
            return body, i + 1
        if inner and inner.group("fence")[0] == fence[0] and len(inner.group("fence")) < len(
                fence):
            depth += 1
        elif depth and _closes(line, "`" * 3 if fence[0] == "`" else ":" * 3) and \
                line.strip()[0] == fence[0] and len(line.strip()) < len(fence):
            depth -= 1
        elif plain and fence[0] == "`" and depth == 0 and len(plain.group("fence")) < len(
                fence) and line.strip() != plain.group("fence"):
            depth += 1          # a ```python fence inside ````{note}
        body.append(line)
        i += 1
    return body, i


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    opts, k = {}, 0
    while k < len(body) and _OPTION.match(body[k]):
        m = _OPTION.match(body[k])
        opts[m.group("key")] = m.group("value")
        k += 1
    if k < len(body) and not body[k].strip():
        k += 1
    return opts, body[k:]


def _image(path: str, ctx: Context) -> str:
    if re.match(r"^[a-z]+://", path) or path.startswith("/"):
        return path
    return "../book/" + path.removeprefix("./")


def _titled_quote(title: str, body: list[str], anchor: str | None = None) -> list[str]:
    head = f"**{title}**" if title else ""
    lines = ([head, ""] if head else []) + body
    quoted = _quote(lines)
    return ([f'<a id="{anchor}"></a>', ""] if anchor else []) + quoted


def _directive(name: str, arg: str, opts: dict, body: list[str], ctx: Context) -> list[str]:
    inner = convert_markdown("\n".join(body), ctx).split("\n") if body else []
    arg = convert_roles(arg, ctx)
    classes = opts.get("class", "").split()
    if name == "math":
        label = opts.get("label")
        tex = "\n".join(body).strip()
        tag = f"\n\\tag{{{ctx.equations[label]}}}" if label and label in ctx.equations else ""
        out = [f'<a id="{label}"></a>', ""] if label else []
        return out + ["$$", tex + tag, "$$"]
    if name in {"figure", "image", "glue:figure"}:
        alt = opts.get("alt", "")
        if name == "glue:figure":
            return _titled_quote("", inner) if inner else []
        img = f"![{alt}]({_image(arg, ctx)})"
        caption = "\n".join(inner).strip() if name == "figure" else ""
        anchor = opts.get("name") or opts.get("label")
        out = [f'<a id="{anchor}"></a>', ""] if anchor else []
        return out + [img] + (["", f"*{caption}*"] if caption else [])
    if name == "exercise":
        label = opts.get("label")
        number = ctx.exercises.get(label, "")
        title = f"✏️ Exercise {number}".rstrip() + (f" ({arg})" if arg else "")
        return _titled_quote(title, inner, label)
    if name in _PROOF or name.startswith("prf:"):
        kind = name.removeprefix("prf:")
        title = kind.capitalize() + (f" ({arg})" if arg else "")
        return _titled_quote(title, inner, opts.get("label"))
    if name == "admonition" or name in _ADMONITIONS or name == "dropdown":
        kind = next((c for c in classes if c in _ICONS), name if name in _ICONS else "")
        title = arg or (name.capitalize() if name != "admonition" else "")
        icon = _ICONS.get(kind, "")
        return _titled_quote(f"{icon} {title}".strip(), inner, opts.get("name"))
    return _titled_quote(arg, inner)            # any other directive: its content


def convert_markdown(text: str, ctx: Context) -> str:
    """A markdown cell's source as plain Jupyter Markdown (the rules of the module doc)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        d = _FENCE.match(line)
        if d:
            body, i = _block(lines, i + 1, d.group("fence"))
            opts, body = _options(body)
            out += _directive(d.group("name"), d.group("arg"), opts, body, ctx)
            continue
        plain = _PLAIN_FENCE.match(line)
        if plain:                                # a code block: copied as it is
            fence = plain.group("fence")
            out.append(line)
            i += 1
            while i < len(lines) and not _closes(lines[i], fence):
                out.append(lines[i])
                i += 1
            if i < len(lines):
                out.append(lines[i])
                i += 1
            continue
        target = _TARGET.match(line)
        if target:
            out.append(f'<a id="{target.group("label")}"></a>')
            i += 1
            continue
        eq = _EQ_LABEL.match(line)
        if eq and eq.group("label") in ctx.equations:
            label, pre = eq.group("label"), eq.group("pre")
            k = len(out) - 1                     # the opening $$ of this block
            while k > 0 and not out[k].lstrip().lstrip("> ").startswith("$$"):
                k -= 1
            out[k:k] = [f'{pre}<a id="{label}"></a>', pre.rstrip()]
            out += [f"{pre}\\tag{{{ctx.equations[label]}}}", f"{pre}$$"]
            i += 1
            continue
        out.append(convert_roles(line, ctx))
        i += 1
    return "\n".join(out)


# ------------------------------------------------------------------ numbering
def _markdown_lines(nb):
    """``(lines, j)`` for every line ``j`` of every Markdown cell (the cell's lines too)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = cell.source.split("\n")
            for j in range(len(lines)):
                yield lines, j


def _numbered(labels, chapter: int | None) -> dict[str, str]:
    """``{label: "3.1", ...}``: the labels numbered in order, prefixed by the chapter."""
    prefix = f"{chapter}." if chapter is not None else ""
    return {label: f"{prefix}{k}" for k, label in enumerate(dict.fromkeys(labels), 1)}


def _number_equations(nb, chapter: int | None) -> dict[str, str]:
    """Labelled equations in order: ``$$ ... $$ (label)`` and ``{math}`` with ``:label:``."""
    labels = []
    for lines, j in _markdown_lines(nb):
        m = _EQ_LABEL.match(lines[j])
        if m:
            labels.append(m.group("label"))
        d = _FENCE.match(lines[j])
        if d and d.group("name") == "math":
            label = _options(lines[j + 1:])[0].get("label")
            if label:
                labels.append(label)
    return _numbered(labels, chapter)


def _number_exercises(nb, chapter: int | None) -> dict[str, str]:
    """Exercises in order (an unlabelled one is ``exercise-K``)."""
    labels = []
    for lines, j in _markdown_lines(nb):
        d = _FENCE.match(lines[j])
        if d and d.group("name") == "exercise":
            opts, _ = _options(lines[j + 1:])
            labels.append(opts.get("label", f"exercise-{len(labels) + 1}"))
    return _numbered(labels, chapter)


def _title(text: str) -> str | None:
    m = _HEADING.search(text)
    return m.group(1).strip() if m else None


def _config() -> dict:
    import yaml
    return yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))


def book_context(book_dir=None) -> Context:
    """The :class:`Context` of the repository's book: URLs, chapters, targets, bibliography."""
    book_dir = REPO_ROOT / "book" if book_dir is None else Path(book_dir)
    cfg = _config()
    repo = cfg["repository"]["url"].rstrip("/")
    org, name = repo.split("/")[-2:]
    ctx = Context(book_url=f"https://{org}.github.io/{name}/", repo_url=repo,
                  branch=cfg["repository"].get("branch", "main"))
    for n, path in enumerate(chapter_notebooks(book_dir), 1):
        nb = read_notebook(path)
        first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
        ctx.chapters[path.stem] = _title(first) or path.stem
        ctx.numbers[path.stem] = n
    pages = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(book_dir.glob("*.md"))]
    pages += [(p.stem, "\n".join(c.source for c in read_notebook(p).cells
                                 if c.cell_type == "markdown"))
              for p in chapter_notebooks(book_dir)]
    for doc, text in pages:
        ctx.titles.setdefault(doc, _title(text) or doc)
        lines = text.split("\n")
        for j, line in enumerate(lines):
            m = _TARGET.match(line)
            if m:
                heading = next((_title(x) for x in lines[j + 1:] if _title(x)), doc)
                ctx.targets[m.group("label")] = (doc, heading)
    ctx.bib = parse_bib((book_dir / "references.bib").read_text(encoding="utf-8"))
    return ctx


# ------------------------------------------------------------------ notebooks
def make_learner_notebook(nb, ctx: Context, name: str, where: str = "notebook"
                          ) -> nbformat.NotebookNode:
    """The learner edition of one chapter notebook ``name`` (e.g. "01_perceptron.ipynb")."""
    ctx = copy.copy(ctx)
    ctx.chapter = ctx.numbers.get(Path(name).stem)
    ctx.equations = _number_equations(nb, ctx.chapter)
    ctx.exercises = _number_exercises(nb, ctx.chapter)
    learner = make_student_notebook(nb, where, note=None)
    for cell in learner.cells:
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, ctx)
        elif cell.cell_type == "code":
            cell.source = convert_code(cell.source, ctx)
        cell.pop("attachments", None) if cell.cell_type == "code" else None
    title_at = next((k for k, c in enumerate(learner.cells) if c.cell_type == "markdown"), 0)
    note = LEARNER_NOTE.format(book_url=ctx.book_url, repo_url=ctx.repo_url, branch=ctx.branch,
                               name=Path(name).name)
    learner.cells.insert(title_at + 1, nbformat.v4.new_markdown_cell(note))
    for k, cell in enumerate(learner.cells):         # stable ids: a diff shows only changes
        cell["id"] = f"cell-{k:03d}"
    learner.metadata["nnlib"] = {"edition": "learner", "source": f"book/{Path(name).name}"}
    learner.metadata.pop("widgets", None)
    return learner


def render_learner_edition(book_dir=None) -> dict[str, str]:
    """``{file name: notebook JSON}`` of the whole learner edition, computed in memory."""
    ctx = book_context(book_dir)
    out = {}
    for path in chapter_notebooks(book_dir if book_dir is not None else REPO_ROOT / "book"):
        nb = make_learner_notebook(read_notebook(path), ctx, path.name, str(path))
        exercises_of(nb, str(path))          # the stubs still parse as exercises
        out[path.name] = nbformat.writes(nb) + "\n"
    return out


def write_learner_edition(book_dir=None, out_dir="learner") -> list[Path]:
    """Write ``learner/NN_*.ipynb``; remove learner notebooks of chapters that are gone."""
    rendered = render_learner_edition(book_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered.items():
        dest = out / name
        dest.write_text(text, encoding="utf-8")
        written.append(dest)
    for stale in out.glob("*.ipynb"):
        if stale.name not in rendered:
            stale.unlink()
    return written


def learner_notebooks(out_dir=None) -> list[Path]:
    out = REPO_ROOT / "learner" if out_dir is None else Path(out_dir)
    return sorted(out.glob("[0-9][0-9]_*.ipynb"))
