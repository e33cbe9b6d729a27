"""Grading: run a folder of submitted notebooks and write a pass/fail table (CSV).

Each submission runs in a fresh kernel (nbclient), cell by cell, with ``allow_errors``: a
cell that raises is recorded and the next cell runs, so one unsolved exercise does not cost
the others. A notebook has one wall-clock budget (``timeout`` seconds for all its cells;
starting the kernel is not counted): when a cell is still running at the limit, or when the
kernel dies (``os._exit``, a segfault, out of memory), the kernel is killed, the cells not
yet run score zero, and the next submission starts.

Which checks passed is read from the ``check(...)`` calls that ran:

1. if ``nnlib.course.exercises`` writes the grading log (the ``NNLIB_GRADING_LOG`` environment
   variable, one JSON line ``{"exercise": ..., "passed": ...}`` per check), from that log;
2. otherwise from the output of each cell that calls ``check("<name>", ...)``: its
   ``✅ Correct`` / ``❌ ...`` lines, in order.

When an exercise is checked several times, the last check counts.

Submissions: every ``*.ipynb`` directly in the folder is one student (the file name without
``.ipynb``); every sub-folder is one student (its name), all of whose notebooks are run. The
CSV has one row per student: ``student``, one column per exercise (1 passed, 0 not),
``total``, ``status`` (``ok``, ``timeout``, ``crashed`` or ``invalid``) and ``note``.

Command line: ``python -m nnlib.course.instructor grade SUBMISSIONS --out grades.csv
[--timeout 600]`` (``make grade``).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .chapters import chapter_notebooks, check_calls, checked_exercises, read_notebook

__all__ = ["NotebookResult", "StudentRow", "grade_notebook", "grade_folder",
           "collect_submissions", "exercise_columns", "results_from_outputs",
           "results_from_log", "write_csv"]

LOG_VARIABLE = "NNLIB_GRADING_LOG"
# What every kernel gets unless the environment says otherwise: fast, quiet, no GUI.
KERNEL_ENV = {"MPLBACKEND": "Agg", "TQDM_DISABLE": "1", "NNLIB_WIDGETS": "static",
              "PYTHONHASHSEED": "0"}
STATUS_ORDER = ("ok", "timeout", "crashed", "invalid")


@dataclass
class NotebookResult:
    """The outcome of running one submitted notebook."""

    path: str
    status: str                                   # ok, timeout, crashed or invalid
    results: dict = field(default_factory=dict)   # exercise name -> passed (bool)
    checked: list = field(default_factory=list)   # exercise names its check calls name
    errors: int = 0                               # cells that raised
    seconds: float = 0.0
    note: str = ""


@dataclass
class StudentRow:
    """One line of the grade table."""

    student: str
    status: str
    passed: dict                                  # exercise name -> 0 or 1
    total: int
    note: str = ""


# --------------------------------------------------------------------------- results
def results_from_log(path) -> dict[str, bool] | None:
    """``{exercise: passed}`` from a grading log (the last line per exercise wins).

    None when the log is missing or empty, i.e. when ``check`` does not write one.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return None
    results: dict[str, bool] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            results[str(entry["exercise"])] = bool(entry["passed"])
        except (ValueError, KeyError, TypeError):
            continue
    return results or None


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def results_from_outputs(nb, executed=None) -> dict[str, bool]:
    """``{exercise: passed}`` from the printed verdicts of the cells that call ``check``.

    In each such cell the ``k``-th line starting with ✅ or ❌ is the verdict of its
    ``k``-th ``check`` call; a call without a verdict (the cell raised first, or never ran)
    did not pass. ``executed`` limits the reading to those cell indices.
    """
    results: dict[str, bool] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or (executed is not None and i not in executed):
            continue
        calls = check_calls(cell.source)
        if not calls:
            continue
        verdicts = [line.lstrip().startswith("✅") for line in _stdout(cell).splitlines()
                    if line.lstrip().startswith(("✅", "❌"))]
        for k, (name, _) in enumerate(calls):
            results[name] = verdicts[k] if k < len(verdicts) else False
    return results


# --------------------------------------------------------------------------- one notebook
def grade_notebook(path, timeout: float = 600, kernel_name: str = "python3",
                   executed_path=None, startup_timeout: float = 120) -> NotebookResult:
    """Run one submission in a fresh kernel within ``timeout`` seconds; read its checks.

    The notebook runs in its own folder (the working directory of the kernel). With
    ``executed_path``, the executed notebook (with its outputs) is written there.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path)
    start = time.monotonic()
    try:
        nb = read_notebook(path)
    except Exception as exc:
        return NotebookResult(str(path), "invalid", note=f"not a readable notebook: {exc}"[:300])
    checked = checked_exercises(nb)
    fd, log = tempfile.mkstemp(prefix="nnlib-grading-", suffix=".jsonl")
    os.close(fd)
    env = {**KERNEL_ENV, **os.environ, LOG_VARIABLE: log}
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name=kernel_name,
                            shutdown_kernel="immediate", startup_timeout=startup_timeout,
                            record_timing=False,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    status, note, executed = "ok", "", set()
    current = None
    try:
        # The kernel's own log (not the cells' output) would only add noise: discard it.
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
            deadline = time.monotonic() + timeout
            count = 0
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if not cell.source.strip():
                    cell.outputs, cell.execution_count = [], None
                    continue
                current = index
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CellTimeoutError("no time left")
                client.timeout = max(1, int(remaining + 0.999))
                count += 1
                executed.add(index)
                client.execute_cell(cell, index, execution_count=count)
    except CellTimeoutError:
        status = "timeout"
        note = (f"cell {current + 1} of {len(nb.cells)} was still running at the {timeout:g} s "
                "limit; the cells after it did not run")
    except DeadKernelError:
        status = "crashed"
        note = (f"the kernel died in cell {current + 1} of {len(nb.cells)} (os._exit, a "
                "segfault or out of memory); the cells after it did not run"
                if current is not None
                else "the kernel died while starting")
    except Exception as exc:  # the kernel did not start, a broken message, ...
        status = "crashed"
        note = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        logged = results_from_log(log)
        try:
            os.unlink(log)
        except OSError:
            pass
    errors = sum(1 for c in nb.cells if c.cell_type == "code"
                 and any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    if errors:
        note = "; ".join(filter(None, [note, f"{errors} cell(s) raised an error"]))
    results = logged if logged is not None else results_from_outputs(nb, executed)
    if executed_path is not None:
        Path(executed_path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(executed_path))
    return NotebookResult(str(path), status, results=results, checked=checked, errors=errors,
                          seconds=time.monotonic() - start, note=note)


# --------------------------------------------------------------------------- a folder
def collect_submissions(folder) -> dict[str, list[Path]]:
    """``{student: [notebooks]}``: top-level notebooks by file stem, sub-folders by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no submissions folder {folder}")
    students: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            students.setdefault(entry.stem, []).append(entry)
        elif entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb")
                               if ".ipynb_checkpoints" not in p.parts)
            if notebooks:
                students.setdefault(entry.name, []).extend(notebooks)
    return students


def exercise_columns(found, book_dir=None, chapters=None) -> list[str]:
    """The exercise columns of the table, in the order of the book.

    With ``chapters`` (notebook paths), exactly the exercises those notebooks check. Else
    every registered exercise that the submissions check (``found``): a misspelt name is
    not a column.
    """
    if chapters:
        columns: list[str] = []
        for p in chapters:
            columns += [n for n in checked_exercises(read_notebook(p)) if n not in columns]
        return columns
    from ..exercises import names
    registered = set(names())
    order: list[str] = []
    for p in chapter_notebooks(book_dir):
        order += [n for n in checked_exercises(read_notebook(p)) if n not in order]
    found = [n for n in dict.fromkeys(found) if n in registered]
    return [n for n in order if n in found] + sorted(n for n in found if n not in order)


def _combine(student: str, results: list[NotebookResult], columns: list[str]) -> StudentRow:
    passed = {name: 0 for name in columns}
    for r in results:
        for name, ok in r.results.items():
            if name in passed and ok:
                passed[name] = 1
    status = max((r.status for r in results), key=STATUS_ORDER.index)
    if len(results) == 1:
        note = results[0].note
    else:
        note = "; ".join(f"{Path(r.path).name}: {r.note}" for r in results if r.note)
    return StudentRow(student, status, passed, sum(passed.values()), note)


def _grade_job(args):
    path, timeout, executed_path = args
    return grade_notebook(path, timeout=timeout, executed_path=executed_path)


def grade_folder(folder, out_csv=None, timeout: float = 600, jobs: int = 1, book_dir=None,
                 chapters=None, executed_dir=None, log=sys.stderr) -> list[StudentRow]:
    """Grade every submission in ``folder``; write the table to ``out_csv`` if given.

    ``jobs`` > 1 runs that many notebooks at once (one process and one kernel each).
    ``executed_dir`` keeps each executed notebook as ``<executed_dir>/<student>/<name>``.
    """
    students = collect_submissions(folder)
    jobs_list = []
    for student, paths in students.items():
        for p in paths:
            executed = (Path(executed_dir) / student / p.name) if executed_dir else None
            jobs_list.append((str(p), timeout, executed))
    results: dict[str, NotebookResult] = {}

    def report(r: NotebookResult):
        results[r.path] = r
        if log is not None:
            n_ok = sum(r.results.values())
            print(f"{Path(r.path).relative_to(folder)}: {r.status}, {n_ok} check(s) passed "
                  f"({r.seconds:.1f} s){' - ' + r.note if r.note else ''}", file=log,
                  flush=True)

    if jobs > 1 and len(jobs_list) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = [pool.submit(_grade_job, job) for job in jobs_list]
            for future in as_completed(futures):
                report(future.result())
    else:
        for job in jobs_list:
            report(_grade_job(job))

    found = [n for r in results.values() for n in list(r.checked) + list(r.results)]
    columns = exercise_columns(found, book_dir, chapters)
    rows = [_combine(student, [results[str(p)] for p in paths], columns)
            for student, paths in students.items()]
    if out_csv is not None:
        write_csv(rows, columns, out_csv)
    return rows


def write_csv(rows: list[StudentRow], columns: list[str], path) -> None:
    """``student, <exercise>..., total, status, note``; one row per student."""
    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *columns, "total", "status", "note"])
        for row in rows:
            writer.writerow([row.student, *(row.passed.get(c, 0) for c in columns),
                             row.total, row.status, row.note])
