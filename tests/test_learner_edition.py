"""The learner edition (learner/, nnlib.course.instructor.learner): each conversion rule on
small inputs, no MyST syntax left in any learner notebook, learner/ up to date, and (only
under ``make learner-check``, NNLIB_LEARNER_CHECK=1) every chapter run in a fresh kernel.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from nnlib.course.instructor import learner as L
from nnlib.course.instructor.chapters import (
    CHECK_TAG,
    SOLUTION_TAG,
    cell_tags,
    chapter_notebooks,
    parse_solution_cell,
    read_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
LEARNER = ROOT / "learner"


def ctx(**kw):
    c = L.Context(book_url="https://b.example/", repo_url="https://g.example/o/r",
                  chapters={"01_perceptron": "The perceptron", "02_two": "Two"},
                  numbers={"01_perceptron": 1, "02_two": 2},
                  titles={"notation": "Notation"},
                  targets={"notation": ("notation", "Notation"),
                           "sec-x": ("01_perceptron", "A section")},
                  bib={"smith2000x": ("Smith", "2000"), "ab2001y": ("A and B", "2001")},
                  equations={"eq-a": "2.1", "eq-b": "2.2"},
                  exercises={"ex-1": "2.1"})
    for k, v in kw.items():
        setattr(c, k, v)
    return c


# ------------------------------------------------------------------ rules
def test_admonition_backtick_with_class_becomes_titled_blockquote():
    out = L.convert_markdown("```{admonition} Learning goals\n:class: tip\n\n- one\n```", ctx())
    assert out == "> **💡 Learning goals**\n>\n> - one"


def test_colon_fence_note_and_dropdown():
    assert L.convert_markdown(":::{note}\nSee this.\n:::", ctx()) == \
        "> **ℹ️ Note**\n>\n> See this."
    out = L.convert_markdown(":::{dropdown} Why\nBecause.\n:::", ctx())
    assert out.startswith("> **▸ Why**") and "> Because." in out


def test_nested_directives_become_nested_blockquotes():
    src = "::::{important}\nOuter.\n:::{tip}\nInner.\n:::\nAfter.\n::::"
    out = L.convert_markdown(src, ctx())
    assert "> > **💡 Tip**" in out and "> > Inner." in out and "> After." in out
    src = "````{note}\n```python\nx = 1\n```\n````"
    out = L.convert_markdown(src, ctx())
    assert "> ```python" in out and "> x = 1" in out and "{note}" not in out


def test_exercise_and_proof_boxes():
    out = L.convert_markdown("```{exercise} Predict\n:label: ex-1\n\nWrite it.\n```", ctx())
    assert out.startswith('<a id="ex-1"></a>')
    assert "> **✏️ Exercise 2.1 (Predict)**" in out and ":label:" not in out
    out = L.convert_markdown("```{prf:theorem} Big\n:label: th\n\nTrue.\n```", ctx())
    assert "> **Theorem (Big)**" in out and '<a id="th"></a>' in out
    out = L.convert_markdown("```{proof}\nEasy.\n```", ctx())
    assert out.startswith("> **Proof**")


def test_labelled_equation_gets_tag_anchor_and_eq_links():
    out = L.convert_markdown("Text\n\n$$\nx = 1\n$$ (eq-a)\n\nby {eq}`eq-a`.", ctx())
    assert '<a id="eq-a"></a>\n\n$$\nx = 1\n\\tag{2.1}\n$$' in out
    assert "by [(2.1)](#eq-a)." in out and "(eq-" not in out.replace("#eq-a", "")
    out = L.convert_markdown("```{math}\n:label: eq-b\n\ny = 2\n```", ctx())
    assert out == '<a id="eq-b"></a>\n\n$$\ny = 2\n\\tag{2.2}\n$$'


def test_equation_numbering_follows_the_book():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "$$\na\n$$ (eq-x)\n\n$$\nb\n$$\n\n```{math}\n:label: eq-y\nc\n```\n$$\nd\n$$ (eq-z)")])
    assert L._number_equations(nb, 3) == {"eq-x": "3.1", "eq-y": "3.2", "eq-z": "3.3"}


def test_doc_ref_numref_links():
    c = ctx()
    assert L.convert_roles("{doc}`01_perceptron`", c) == \
        "[Chapter 1: The perceptron](01_perceptron.ipynb)"
    assert L.convert_roles("{doc}`the first <01_perceptron>`", c) == \
        "[the first](01_perceptron.ipynb)"
    assert L.convert_roles("{doc}`notation`", c) == \
        "[Notation](https://b.example/book/notation.html)"
    assert L.convert_roles("{ref}`notation`", c) == \
        "[Notation](https://b.example/book/notation.html#notation)"
    assert L.convert_roles("{numref}`sec-x`", c) == "[A section](01_perceptron.ipynb)"
    assert L.convert_roles("{ref}`ex-1`", c) == "[Exercise 2.1](#ex-1)"


def test_citations_author_year_linked_to_bibliography():
    c = ctx()
    bib = "https://b.example/book/bibliography.html"
    assert L.convert_roles("{cite}`smith2000x`", c) == f"([Smith, 2000]({bib}))"
    assert L.convert_roles("{cite:p}`smith2000x,ab2001y`", c) == \
        f"([Smith, 2000]({bib}); [A and B, 2001]({bib}))"
    assert L.convert_roles("{cite:t}`ab2001y`", c) == f"[A and B (2001)]({bib})"
    with pytest.raises(KeyError, match="nokey"):
        L.convert_roles("{cite}`nokey`", c)


def test_parse_bib_names_and_accents():
    bib = L.parse_bib("""@article{a1, author = {LeCun, Yann and Bottou, L{\\'e}on and
        Bengio, Yoshua}, year = {1998}}
        @book{b2, author = {Ian Goodfellow and Bengio, Yoshua}, year = 2016,}
        @misc{c3, author = {Ng, Andrew}, year = {2004}}""")
    assert bib == {"a1": ("LeCun et al.", "1998"), "b2": ("Goodfellow and Bengio", "2016"),
                   "c3": ("Ng", "2004")}
    assert L.parse_bib("@misc{d, author={Bottou, L{\\'e}on}, year={1}}")["d"][0] == "Bottou"


def test_figures_images_targets_and_code_cells():
    out = L.convert_markdown("```{figure} img/a.png\n:alt: A\n:name: fig-a\n\nThe caption.\n```",
                             ctx())
    assert out == '<a id="fig-a"></a>\n\n![A](../book/img/a.png)\n\n*The caption.*'
    assert L.convert_markdown(":::{image} https://x.org/i.png\n:::", ctx()) == \
        "![](https://x.org/i.png)"
    assert L.convert_markdown("(sec-x)=\n## A section", ctx()) == '<a id="sec-x"></a>\n## A section'
    assert L.convert_code('"""Forward {eq}`eq-a`, see (eq-b)."""', ctx()) == \
        '"""Forward (2.1), see (2.2)."""'
    assert L.convert_markdown("{{ repo_url }}/x", ctx()) == "https://g.example/o/r/x"


def test_plain_code_blocks_are_left_alone():
    src = "```python\n{eq}`not-a-role-here`\n```"
    assert L.convert_markdown(src, ctx()) == src


# ------------------------------------------------------------------ the committed edition
_LEFTOVERS = [
    (re.compile(r"\{[\w:-]+\}`"), "a MyST role {name}`...`"),
    (re.compile(r"```+\s*\{"), "a directive fence ```{"),
    (re.compile(r":::+\s*\{"), "a directive fence :::{"),
    (re.compile(r"\(eq-"), "an equation label (eq-...)"),
    (re.compile(r"^\s*>?\s*:(class|label|name|alt|nowrap|width):", re.M), "an option line"),
    (re.compile(r"^\([\w:-]+\)=\s*$", re.M), "a target line (label)="),
]


def _leftovers(path: Path) -> list[str]:
    problems = []
    nb = read_notebook(path)
    for i, cell in enumerate(nb.cells):
        text = cell.source
        if cell.cell_type == "markdown":    # links to anchors may contain "#eq-"
            text = re.sub(r"\]\(#[^)]*\)|<a id=\"[^\"]*\"></a>", "", text)
        for pattern, what in _LEFTOVERS:
            for m in pattern.finditer(text):
                line_no = text[:m.start()].count("\n") + 1
                problems.append(f"{path.name}, cell {i}, line {line_no}: {what}: "
                                f"{text.splitlines()[line_no - 1].strip()[:80]!r}")
    return problems


def test_every_chapter_has_a_learner_notebook():
    assert [p.name for p in L.learner_notebooks()] == [p.name for p in chapter_notebooks()]


@pytest.mark.parametrize("path", L.learner_notebooks(), ids=lambda p: p.name)
def test_no_myst_syntax_left(path):
    problems = _leftovers(path)
    assert not problems, "MyST syntax left in the learner edition:\n" + "\n".join(problems)


def test_leftover_scan_catches_each_kind(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "{doc}`x`\n```{note}\n:::{tip}\n$$ (eq-a)\n:class: tip\n(t)=")])
    nbformat.write(nb, str(tmp_path / "01_x.ipynb"))
    assert len(_leftovers(tmp_path / "01_x.ipynb")) == 6


def test_learner_edition_is_up_to_date():
    rendered = L.render_learner_edition()
    stale = [name for name, text in rendered.items()
             if not (LEARNER / name).is_file()
             or (LEARNER / name).read_text(encoding="utf-8") != text]
    assert not stale, (f"learner/ is stale for {stale}: run `make learner` and commit "
                       "learner/")


def test_learner_notebooks_have_no_solutions_or_outputs():
    for path in L.learner_notebooks():
        nb = read_notebook(path)
        assert nb.metadata["nnlib"]["edition"] == "learner"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None
                if SOLUTION_TAG in cell_tags(cell):
                    assert "raise NotImplementedError" in cell.source
        assert "Learner edition" in nb.cells[2].source + nb.cells[1].source


# ------------------------------------------------------------------ running it (make learner-check)
RUN = os.environ.get("NNLIB_LEARNER_CHECK") == "1"
ONLY = [c for c in os.environ.get("NNLIB_LEARNER_CHAPTERS", "").split(",") if c]


def _text(outputs) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(parts)


@pytest.mark.skipif(not RUN, reason="runs every learner chapter (minutes): make learner-check "
                    "(NNLIB_LEARNER_CHECK=1)")
@pytest.mark.parametrize("path", L.learner_notebooks(), ids=lambda p: p.name)
def test_learner_notebook_runs_stub_then_solved(path):
    """One run per chapter: each stub's checks say "Not solved yet"; then the book's
    solution is executed in the same kernel and the same checks say "Correct"; nothing
    outside the exercise cells raises, in either state."""
    from nbclient import NotebookClient

    if ONLY and not any(path.name.startswith(c) for c in ONLY):
        pytest.skip(f"not in NNLIB_LEARNER_CHAPTERS={','.join(ONLY)}")
    original = read_notebook(ROOT / "book" / path.name)
    solutions = {}
    for cell in original.cells:
        if cell.cell_type == "code" and SOLUTION_TAG in cell_tags(cell):
            solutions[parse_solution_cell(cell.source).function] = cell.source
    nb = read_notebook(path)
    os.environ.setdefault("NNLIB_WIDGETS", "static")
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    pending = []                    # check cells of the exercise whose stub ran last
    stub_fn = None
    cells = list(nb.cells)          # nbclient stores each executed cell at nb.cells[index]
    with client.setup_kernel():
        for i, cell in enumerate(cells):
            if cell.cell_type != "code":
                continue
            tags = cell_tags(cell)
            client.execute_cell(cell, i)        # raises CellExecutionError on an error
            if SOLUTION_TAG in tags:
                stub_fn, pending = parse_solution_cell(cell.source).function, []
                continue
            if CHECK_TAG in tags:
                assert "Not solved yet" in _text(cell.outputs), (
                    f"{path.name}, cell {i}: the stub's check did not say 'Not solved yet':\n"
                    f"{_text(cell.outputs)}")
                pending.append(i)
                nxt = next((c for c in cells[i + 1:] if c.cell_type == "code"), None)
                if nxt is None or CHECK_TAG not in cell_tags(nxt):
                    solved = nbformat.v4.new_code_cell(solutions[stub_fn])
                    client.execute_cell(solved, i)
                    for j in pending:
                        again = nbformat.v4.new_code_cell(cells[j].source)
                        client.execute_cell(again, j)
                        assert "Correct" in _text(again.outputs), (
                            f"{path.name}, cell {j}: with the book's solution of "
                            f"{stub_fn} the check says:\n{_text(again.outputs)}")
                    pending = []
