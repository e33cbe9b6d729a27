"""Grading submitted notebooks: ``python -m nnlib.course.instructor grade``.

Five fabricated submissions, each a tiny notebook of exercise cells: one correct, one
partly wrong, one that loops forever, one whose kernel dies, one with an unsolved exercise
and a cell that raises. The whole folder is graded with a 10 s limit per notebook; the
loop and the crash must cost only what comes after them, and must not stop the others.
"""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

from nnlib.course.instructor.__main__ import main
from nnlib.course.instructor.grading import (
    exercise_columns,
    results_from_log,
    results_from_outputs,
)

IMPORTS = "import numpy as np\nfrom nnlib.course.exercises import check"
RELU = '''def relu_backward(x, grad_out):
    """Exercise ex-relu: return grad_out * [x > 0]."""
    return grad_out * (x > 0)'''
RELU_STUB = '''def relu_backward(x, grad_out):
    """Exercise ex-relu: return grad_out * [x > 0]."""
    raise NotImplementedError("Exercise ex-relu: return grad_out * [x > 0]")'''
RELU_CHECK = 'check("basics.relu_backward", relu_backward)'
SIGMOID = '''def sigmoid(z):
    """Exercise ex-sigmoid: 1 / (1 + exp(-z))."""
    return 1.0 / (1.0 + np.exp(-z))'''
SIGMOID_WRONG = '''def sigmoid(z):
    """Exercise ex-sigmoid: 1 / (1 + exp(-z))."""
    return 1.0 / (1.0 + np.exp(z))'''
SIGMOID_CHECK = 'check("basics.sigmoid", sigmoid)'

SUBMISSIONS = {
    "alice.ipynb": [IMPORTS, RELU, RELU_CHECK, SIGMOID, SIGMOID_CHECK],
    "bob.ipynb": [IMPORTS, RELU, RELU_CHECK, SIGMOID_WRONG, SIGMOID_CHECK],
    "carol.ipynb": [IMPORTS, RELU, RELU_CHECK, "while True:\n    pass", SIGMOID, SIGMOID_CHECK],
    "dave.ipynb": [IMPORTS, RELU, RELU_CHECK, "import os\nos._exit(1)", SIGMOID, SIGMOID_CHECK],
    # a student folder: unsolved first exercise, a cell that raises, then a correct one
    "erin/homework.ipynb": [IMPORTS, RELU_STUB, RELU_CHECK, "undefined_name + 1", SIGMOID,
                            SIGMOID_CHECK],
}
EXPECTED = {  # student: (relu, sigmoid, status)
    "alice": (1, 1, "ok"),
    "bob": (1, 0, "ok"),
    "carol": (1, 0, "timeout"),
    "dave": (1, 0, "crashed"),
    "erin": (0, 1, "ok"),
}


def _notebook(sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Homework")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_grade_fabricated_submissions(tmp_path):
    folder = tmp_path / "submissions"
    for name, sources in SUBMISSIONS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(_notebook(sources), str(path))
    (folder / "notes.txt").write_text("not a notebook: ignored")
    out = tmp_path / "grades.csv"
    code = main(["--book", str(tmp_path / "no-book"), "grade", str(folder), "--out", str(out),
                 "--timeout", "10", "--executed", str(tmp_path / "executed")])
    assert code == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    assert header == ["student", "basics.relu_backward", "basics.sigmoid", "total", "status",
                      "note"]
    got = {r["student"]: (int(r["basics.relu_backward"]), int(r["basics.sigmoid"]), r["status"])
           for r in rows}
    assert got == EXPECTED
    by_name = {r["student"]: r for r in rows}
    for student, (relu, sig, _) in EXPECTED.items():
        assert int(by_name[student]["total"]) == relu + sig
    assert "10 s limit" in by_name["carol"]["note"]
    assert "kernel died" in by_name["dave"]["note"]
    assert "1 cell(s) raised an error" in by_name["erin"]["note"]
    # the executed notebooks are kept, with the verdicts printed by the check cells
    executed = nbformat.read(str(tmp_path / "executed" / "bob" / "bob.ipynb"), as_version=4)
    text = json.dumps(executed.cells[-1].outputs)
    assert "Not yet" in text


def _cell_with_output(source, text):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def test_results_from_outputs_pairs_verdicts_with_calls():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell_with_output('check("a.one", f)\ncheck("a.two", g)',
                          "✅ Correct: ...\n❌ Not yet: ...\n   Hint: ..."),
        _cell_with_output('print("✅ Correct")', "✅ Correct"),      # not a check cell
        _cell_with_output('check("a.three", h)', ""),               # raised before printing
        _cell_with_output('check("a.one", f2)', "❌ Not solved yet: ..."),  # the last one counts
    ]
    assert results_from_outputs(nb) == {"a.one": False, "a.two": False, "a.three": False}
    assert results_from_outputs(nb, executed={0}) == {"a.one": True, "a.two": False}


def test_results_from_log(tmp_path):
    log = tmp_path / "log.jsonl"
    assert results_from_log(log) is None                    # check() wrote no log
    log.write_text("")
    assert results_from_log(log) is None
    log.write_text('{"exercise": "a.one", "passed": false}\nnot json\n'
                   '{"exercise": "a.one", "passed": true}\n{"exercise": "a.two", "passed": false}\n')
    assert results_from_log(log) == {"a.one": True, "a.two": False}


@pytest.mark.parametrize("found, expected", [
    (["basics.sigmoid", "basics.relu_backward", "nope.misspelt"],
     ["basics.relu_backward", "basics.sigmoid"]),
    ([], []),
])
def test_exercise_columns_are_registered_names(tmp_path, found, expected):
    assert exercise_columns(found, book_dir=tmp_path) == expected


def test_exercise_columns_from_a_chapter(tmp_path):
    path = tmp_path / "01_x.ipynb"
    nb = _notebook([IMPORTS, RELU, RELU_CHECK, SIGMOID, SIGMOID_CHECK, RELU_CHECK])
    nbformat.write(nb, str(path))
    assert exercise_columns(["whatever"], chapters=[path]) == ["basics.relu_backward",
                                                               "basics.sigmoid"]
