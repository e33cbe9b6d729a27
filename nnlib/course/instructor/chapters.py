"""Reading the chapter notebooks: which cells are exercises, which exercise each one checks.

The conventions are those of ``CONTRIBUTING.md`` (section 3): an exercise is a markdown
``{exercise}`` box, a code cell tagged ``solution`` holding exactly one top-level ``def``
whose docstring starts ``Exercise <label>: ...``, a check cell tagged ``exercise-check``
calling ``check("<name>", <function>)``, and a ``{solution}`` dropdown.

Chapters are found by name, never listed by hand: every ``book/NN_*.ipynb``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"
SOLUTION_TAG = "solution"
CHECK_TAG = "exercise-check"

_CHECK_CALL = re.compile(r"""\bcheck\(\s*(['"])([\w.]+)\1\s*(?:,\s*([A-Za-z_]\w*))?""")
_DOC_START = re.compile(r"\s*Exercise\s+([\w.:-]+)\s*:\s*(.*)", re.S)
_RUN_TIME = re.compile(r"Run time: ([\d.]+) s, peak memory: ([\d.]+) MB")


class SolutionCellError(ValueError):
    """A solution cell that breaks the rule "exactly one top-level def with a docstring"."""


def default_book_dir() -> Path:
    """The repository's ``book/`` folder (next to the ``nnlib`` package), else ``./book``."""
    repo_book = Path(__file__).resolve().parents[2] / "book"
    return repo_book if repo_book.is_dir() else Path("book")


def chapter_notebooks(book_dir=None) -> list[Path]:
    """Every chapter notebook ``NN_*.ipynb`` of ``book_dir``, in chapter order."""
    book_dir = default_book_dir() if book_dir is None else Path(book_dir)
    return sorted(book_dir.glob(CHAPTER_GLOB))


def read_notebook(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def cell_tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def check_calls(source: str) -> list[tuple[str, str | None]]:
    """The ``check("name", fn)`` calls of a code cell, in order: ``[(name, "fn"), ...]``.

    ``fn`` is None when the second argument is not a plain name. Cells that do not parse
    as Python (IPython magics) are scanned with a regular expression instead.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [(m.group(2), m.group(3)) for m in _CHECK_CALL.finditer(source)]
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        first = node.args[0]
        if called != "check" or not (isinstance(first, ast.Constant)
                                     and isinstance(first.value, str)):
            continue
        fn = None
        if len(node.args) > 1 and isinstance(node.args[1], ast.Name):
            fn = node.args[1].id
        calls.append(((node.lineno, node.col_offset), first.value, fn))
    return [(name, fn) for _, name, fn in sorted(calls)]


@dataclass
class SolutionCell:
    """A parsed solution cell: its function, label, and the lines to keep in a stub."""

    function: str
    label: str
    summary: str            # the docstring after "Exercise <label>:"
    head: list[str]         # the lines up to the end of the docstring (def + docstring)
    body: list[str]         # the solution's lines after the docstring
    indent: str             # the indentation of the function body


def parse_solution_cell(source: str, where: str = "a solution cell") -> SolutionCell:
    """Split a solution cell into ``def`` line(s) + docstring and the body.

    Raises :class:`SolutionCellError`, saying what is wrong and where, unless the cell holds
    exactly one top-level function whose docstring starts ``Exercise <label>: ...``.
    """
    rule = ("CONTRIBUTING.md, section 3: a solution cell holds exactly one top-level `def` "
            "whose docstring starts 'Exercise <label>: <what to do>', and nothing else")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SolutionCellError(f"{where} is not valid Python ({exc.msg}, line {exc.lineno}); "
                                f"{rule}") from None
    stmts = tree.body
    defs = [s for s in stmts if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(stmts) != 1 or len(defs) != 1:
        found = ", ".join(f"{type(s).__name__} (line {s.lineno})" for s in stmts) or "nothing"
        raise SolutionCellError(f"{where} holds {found}; {rule}. Move other code to a cell "
                                "of its own")
    fn = defs[0]
    doc = ast.get_docstring(fn, clean=True)
    match = _DOC_START.match(doc or "")
    if not match:
        raise SolutionCellError(f"{where}: the docstring of `{fn.name}` must start "
                                f"'Exercise <label>: ...'; {rule}")
    doc_node = fn.body[0]
    lines = source.splitlines()
    if lines[doc_node.lineno - 1][:doc_node.col_offset].strip():
        raise SolutionCellError(f"{where}: put the docstring of `{fn.name}` on its own line, "
                                "below the `def` line")
    if len(fn.body) > 1 and fn.body[1].lineno <= doc_node.end_lineno:
        raise SolutionCellError(f"{where}: code on the line of the docstring of `{fn.name}`; "
                                "start the body on the next line")
    indent_line = lines[doc_node.lineno - 1]
    indent = indent_line[:len(indent_line) - len(indent_line.lstrip())]
    return SolutionCell(function=fn.name, label=match.group(1),
                        summary=" ".join(match.group(2).split()),
                        head=lines[:doc_node.end_lineno], body=lines[doc_node.end_lineno:],
                        indent=indent)


@dataclass
class ExerciseInfo:
    """One exercise of a chapter notebook, as the notebook holds it."""

    label: str                      # the MyST label, e.g. "ex-ch1-predict"
    function: str                   # the function the learner writes
    name: str | None                # the registered exercise, e.g. "ch01.perceptron_predict"
    summary: str                    # the docstring's short instructions
    solution_index: int             # index of the solution cell
    check_indices: list[int] = field(default_factory=list)


def exercises_of(nb, where: str = "notebook") -> list[ExerciseInfo]:
    """The exercises of a notebook, in order, each linked to its check cell(s)."""
    checked_by: dict[str, str] = {}     # function name -> exercise name
    for cell in nb.cells:
        if cell.cell_type == "code":
            for name, fn in check_calls(cell.source):
                if fn is not None:
                    checked_by.setdefault(fn, name)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or SOLUTION_TAG not in cell_tags(cell):
            continue
        sol = parse_solution_cell(cell.source, f"{where}, cell {i}")
        info = ExerciseInfo(label=sol.label, function=sol.function,
                            name=checked_by.get(sol.function), summary=sol.summary,
                            solution_index=i)
        for j in range(i + 1, len(nb.cells)):
            other = nb.cells[j]
            if other.cell_type == "code" and SOLUTION_TAG in cell_tags(other):
                break
            if other.cell_type == "code" and any(
                    fn == sol.function for _, fn in check_calls(other.source)):
                info.check_indices.append(j)
        found.append(info)
    return found


def checked_exercises(nb) -> list[str]:
    """The exercise names the notebook's check calls name, in order, without repeats."""
    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for name, _ in check_calls(cell.source):
                if name not in names:
                    names.append(name)
    return names


def chapter_title(nb) -> str:
    """The text of the notebook's first ``# `` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def recorded_run_time(nb) -> tuple[float, float] | None:
    """(seconds, peak MB) printed by the chapter's final ``timer.report()``, if any."""
    for cell in reversed(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            match = _RUN_TIME.search(out.get("text", ""))
            if match:
                return float(match.group(1)), float(match.group(2))
    return None


# --------------------------------------------------------------------------- retyping
def _tokens(source: str) -> list[str]:
    """The code's tokens without comments, layout or docstrings; a string's quotes dropped,
    so that ``params["W1"]`` shares ``W1`` with a variable ``W1``."""
    import io
    import keyword
    import tokenize
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
            tokenize.DEDENT, tokenize.ENDMARKER, tokenize.ENCODING}
    out, previous = [], None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in skip:
                continue
            if tok.type == tokenize.STRING:
                if previous in (None, ":", "\n"):   # a docstring or a bare string: not code
                    previous = "\n"
                    continue
                out.append(tok.string.strip("'\"rbfu"))
            else:
                out.append(tok.string)
            previous = tok.string if tok.type != tokenize.NAME or keyword.iskeyword(
                tok.string) else "name"
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return out
    return out


def copied_fraction(solution: str, shown: str, min_run: int = 4) -> float:
    """The fraction of the tokens of ``solution`` that ``shown`` holds in the same order,
    counting only runs of at least ``min_run`` tokens in a row (so that the ``=``, ``(``
    and names every piece of code shares do not count)."""
    from difflib import SequenceMatcher
    a, b = _tokens(solution), _tokens(shown)
    if not a:
        return 0.0
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(m.size for m in blocks if m.size >= min_run) / len(a)


def shown_verbatim(nb, threshold: float = 0.5) -> dict[str, float]:
    """``{function: fraction}`` for the exercises whose reference solution the chapter shows
    before it: at least ``threshold`` of the solution body's tokens (the lines after its
    docstring) appear, in order, in runs of 4 or more, in one earlier code cell that is not
    itself a solution. Retyping that cell, or adapting its names, solves the exercise.
    """
    found = {}
    for info in exercises_of(nb):
        body = "\n".join(parse_solution_cell(nb.cells[info.solution_index].source).body)
        best = max((copied_fraction(body, cell.source) for cell in nb.cells[:info.solution_index]
                    if cell.cell_type == "code" and SOLUTION_TAG not in cell_tags(cell)),
                   default=0.0)
        if best >= threshold:
            found[info.function] = round(best, 2)
    return found
