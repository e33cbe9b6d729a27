"""The student edition (``python -m nnlib.course.instructor student``, ``make student``).

For every chapter notebook ``book/NN_*.ipynb`` (found by glob) and the chapter template:

* the student notebook holds no solution: neither a solution cell's body nor a
  ``{solution}`` block, and no output;
* its exercise cells (stubs) and check cells run: every check prints ``❌ Not solved yet``
  and no cell raises;
* with the solutions of the original notebook pasted back, every check passes.

Fast: the exercise and check cells of every chapter are extracted into one small notebook
(plus the chapters' imports and definitions) and run in one kernel; no chapter trains again.
"""

from __future__ import annotations

import ast
import json
import os
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from nnlib.course.instructor.__main__ import main
from nnlib.course.instructor.chapters import (
    SOLUTION_TAG,
    SolutionCellError,
    cell_tags,
    chapter_notebooks,
    check_calls,
    exercises_of,
    parse_solution_cell,
    read_notebook,
)
from nnlib.course.instructor.student import (
    make_student_notebook,
    strip_solution_blocks,
    write_student_edition,
)

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = chapter_notebooks(ROOT / "book")
# The template is a complete (small) chapter with an exercise: tested like one.
SOURCES = CHAPTERS + [ROOT / "templates" / "chapter_template.ipynb"]
IDS = [p.name for p in SOURCES]
DIRECTIVE = r"^\s*(?:`{3,}|:{3,})\{%s\}"


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """{original path: (original notebook, student notebook)} written by the real command."""
    out = tmp_path_factory.mktemp("student")
    written = write_student_edition(out_dir=out, notebooks=SOURCES)
    assert [p.name for p in written] == [p.name for p in SOURCES]
    assert (out / "README.md").exists()
    return {src: (read_notebook(src), read_notebook(out / src.name)) for src in SOURCES}


def _solution_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and SOLUTION_TAG in cell_tags(c)]


def _check_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and check_calls(c.source)]


def test_chapters_are_found():
    assert CHAPTERS, "no chapter notebook book/NN_*.ipynb"
    assert any(_solution_cells(read_notebook(p)) for p in CHAPTERS), "no chapter has exercises"


@pytest.mark.parametrize("src", SOURCES, ids=IDS)
def test_stubs_replace_solutions(edition, src):
    original, student = edition[src]
    sols, stubs = _solution_cells(original), _solution_cells(student)
    assert len(stubs) == len(sols)
    for sol, stub in zip(sols, stubs):
        head = parse_solution_cell(sol.source).head
        assert stub.source.splitlines()[:len(head)] == head, "def line(s) and docstring kept"
        tree = ast.parse(stub.source)
        fn = tree.body[0]
        assert len(tree.body) == 1 and isinstance(fn.body[-1], ast.Raise)
        assert fn.body[-1].exc.func.id == "NotImplementedError"
        label = parse_solution_cell(sol.source).label
        message = fn.body[-1].exc.args[0].value
        assert message.startswith(f"Exercise {label}: ") and len(message) > 30
        assert "hide-input" not in cell_tags(stub), "the learner must see the stub"
    # check cells unchanged, in the same order; exercise boxes kept, solution blocks gone
    assert [c.source for c in _check_cells(student)] == [c.source for c in _check_cells(original)]
    md = lambda nb: "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name in ("exercise", "exercise-start"):
        assert (len(re.findall(DIRECTIVE % name, md(student), re.M))
                == len(re.findall(DIRECTIVE % name, md(original), re.M)))
    for name in ("solution", "solution-start", "solution-end"):
        assert not re.search(DIRECTIVE % name, md(student), re.M), f"a {{{name}}} block is left"
    # no outputs, no counts
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    nbformat.validate(student)


@pytest.mark.parametrize("src", SOURCES, ids=IDS)
def test_no_solution_text(edition, src):
    """No line of a solution's body appears in the student notebook (code or markdown).

    Lines that the chapter also holds outside its solutions (in other code cells) are not
    solution text; nor are very short ones (``break``, ``return w``).
    """
    original, student = edition[src]
    elsewhere = {line.strip() for c in original.cells
                 if c.cell_type == "code" and SOLUTION_TAG not in cell_tags(c)
                 for line in c.source.splitlines()}
    secret = set()
    for cell in _solution_cells(original):
        for line in parse_solution_cell(cell.source).body:
            text = line.strip()
            if len(text) >= 8 and not text.startswith("#") and text not in elsewhere:
                secret.add(text)
    assert secret or not _solution_cells(original)
    student_lines = {line.strip() for c in student.cells for line in c.source.splitlines()}
    leaked = sorted(secret & student_lines)
    assert not leaked, f"solution text in the student edition of {src.name}: {leaked[:5]}"


def _preamble(nb) -> list[str]:
    """What the exercise cells may need from the rest of the chapter, without running it.

    The top-level imports, function and class definitions (defining is cheap; a solution
    may call a helper of the chapter) and constant assignments (``SEED = 0``) of the
    chapter's other code cells; nothing that computes. A definition whose default values
    or decorators need the chapter's data is skipped (``try: ... except NameError``).
    """
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or SOLUTION_TAG in cell_tags(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:       # IPython magics (the Colab cell)
            continue
        for s in tree.body:
            if isinstance(s, (ast.Import, ast.ImportFrom)) or (
                    isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant)
                    and all(isinstance(t, ast.Name) for t in s.targets)):
                found.append(ast.unparse(s))
            elif isinstance(s, (ast.FunctionDef, ast.ClassDef)):
                found.append("try:\n" + textwrap.indent(ast.unparse(s), "    ")
                             + "\nexcept NameError:\n    pass")
    return found


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_exercises_run_unsolved_then_solved(edition):
    """One small notebook: imports, then every (stub, checks), then every (solution, checks)."""
    from nbclient import NotebookClient

    cells, expect = [], []               # expect, per cell: None or (verdict, where, n checks)
    for src in SOURCES:
        cells.append(nbformat.v4.new_code_cell("\n\n".join(_preamble(edition[src][0]))))
        expect.append(None)
    for phase in ("student", "solved"):
        for src in SOURCES:
            original, student = edition[src]
            orig_ex, stud_ex = exercises_of(original), exercises_of(student)
            assert [e.function for e in orig_ex] == [e.function for e in stud_ex]
            for o, s in zip(orig_ex, stud_ex):
                where = f"{src.name}: {o.label} ({o.name})"
                assert s.check_indices, f"{where}: no check cell after the exercise"
                code = (student.cells[s.solution_index] if phase == "student"
                        else original.cells[o.solution_index]).source
                cells.append(nbformat.v4.new_code_cell(code))
                expect.append(None)
                for j in s.check_indices:
                    source = student.cells[j].source
                    cells.append(nbformat.v4.new_code_cell(source))
                    verdict = "❌ Not solved yet" if phase == "student" else "✅ Correct"
                    expect.append((verdict, where, len(check_calls(source))))
    nb = nbformat.v4.new_notebook(cells=cells)
    env = {**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1", "NNLIB_WIDGETS": "static"}
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "book")}}).execute(env=env)

    n_checks = 0
    for cell, exp in zip(nb.cells, expect):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (f"cell raised {errors[0].ename}: {errors[0].evalue}\n"
                            f"{cell.source}")
        if exp is None:
            continue
        verdict, where, n = exp
        lines = [ln for ln in _stdout(cell).splitlines() if ln.startswith(("✅", "❌"))]
        assert len(lines) == n and all(ln.startswith(verdict) for ln in lines), (
            f"{where}: expected {verdict!r}, got {json.dumps(_stdout(cell))[:300]}")
        n_checks += n
    assert n_checks >= 2 * len(SOURCES)


# --------------------------------------------------------------------------- rules
def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _solution(source):
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["solution", "hide-input"]})


GOOD = '''def f(x):
    """Exercise ex-f: return x + 1."""
    return x + 1'''


@pytest.mark.parametrize("source, message", [
    (GOOD + "\n\nprint(f(1))", "exactly one top-level"),
    (GOOD + "\n\ndef g(x):\n    return x", "exactly one top-level"),
    ("import numpy as np\n\n" + GOOD, "exactly one top-level"),
    ('def f(x):\n    return x + 1', "must start 'Exercise <label>: ...'"),
    ('def f(x):\n    """Return x + 1."""\n    return x + 1', "must start 'Exercise <label>: ...'"),
    ("%time x = 1", "not valid Python"),
])
def test_bad_solution_cell_fails_loudly(source, message):
    nb = _nb(nbformat.v4.new_markdown_cell("# T"), _solution(source))
    with pytest.raises(SolutionCellError, match=re.escape(message)) as err:
        make_student_notebook(nb, "book/99_bad.ipynb")
    assert "book/99_bad.ipynb, cell 1" in str(err.value)


def test_stub_keeps_decorators_signature_and_docstring():
    source = ('@staticmethod\ndef f(x,\n      y=2):\n    """Exercise ex-f: add them.\n\n'
              '    More text.\n    """\n    z = x + y\n    return z')
    nb = make_student_notebook(_nb(nbformat.v4.new_markdown_cell("# T"), _solution(source)))
    stub = nb.cells[2].source
    assert stub.startswith(source.split("    z =")[0].rstrip("\n"))
    assert "z = x + y" not in stub
    assert 'raise NotImplementedError("Exercise ex-f: add them. More text.")' in stub
    assert nb.cells[1].source.startswith("> **Student edition.**")


def test_strip_solution_blocks():
    text = ("## Exercises\n\n```{solution} ex-a\n:class: dropdown\n\nsecret 1\n```\n\n"
            "```{exercise} Next\n:label: ex-b\n\nDo b.\n```\n\n"
            "````{solution} ex-b\n```python\nsecret 2\n```\nsecret 3\n````\n"
            ":::{solution} ex-c\nsecret 4\n:::\nkept")
    out = strip_solution_blocks(text)
    assert "secret" not in out and "{solution}" not in out
    assert out.startswith("## Exercises\n\n```{exercise} Next") and out.endswith("Do b.\n```\n\nkept")


def test_gated_solutions_across_cells_are_removed():
    nb = _nb(nbformat.v4.new_markdown_cell("# T"),
             nbformat.v4.new_markdown_cell("intro\n```{solution-start} ex-a\n```\nsecret md"),
             nbformat.v4.new_code_cell("secret_code = 1"),
             nbformat.v4.new_markdown_cell("more secret\n```{solution-end}\n```\nafter"),
             nbformat.v4.new_code_cell("kept = 1"))
    student = make_student_notebook(nb)
    sources = [c.source for c in student.cells]
    assert sources == ["# T", "intro", "after", "kept = 1"]


def test_command_line(tmp_path, capsys):
    book = tmp_path / "book"
    book.mkdir()
    template = read_notebook(ROOT / "templates" / "chapter_template.ipynb")
    nbformat.write(template, str(book / "01_demo.ipynb"))
    nbformat.write(template, str(book / "notes.ipynb"))           # not a chapter
    out = tmp_path / "student"
    out.mkdir()
    stale = make_student_notebook(template)
    nbformat.write(stale, str(out / "07_removed_chapter.ipynb"))  # an old student notebook
    (out / "mine.ipynb").write_text("{}")                         # not ours: left alone
    assert main(["--book", str(book), "student", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_demo.ipynb", "README.md", "mine.ipynb"]
    assert "01_demo.ipynb" in (out / "README.md").read_text()
    assert "1 chapter(s)" in capsys.readouterr().out
    assert main(["--book", str(tmp_path / "empty"), "student", "--out", str(out)]) == 2
