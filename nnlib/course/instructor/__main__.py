"""Command line for instructors.

    python -m nnlib.course.instructor student [--out student/]
    python -m nnlib.course.instructor learner [--out learner/]
    python -m nnlib.course.instructor grade SUBMISSIONS_DIR --out grades.csv [--timeout 600]
    python -m nnlib.course.instructor list

``student`` writes the student edition of every chapter notebook of ``book/``; ``grade``
runs submitted notebooks and writes the pass/fail table; ``list`` prints each chapter's
exercises and recorded run time. See the book's page "For instructors".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .chapters import (
    SolutionCellError,
    chapter_notebooks,
    chapter_title,
    default_book_dir,
    exercises_of,
    read_notebook,
    recorded_run_time,
)


def _student(args) -> int:
    from .student import summary, write_student_edition
    sources = chapter_notebooks(args.book)
    if not sources:
        print(f"no chapter notebook (NN_*.ipynb) in {args.book}", file=sys.stderr)
        return 2
    try:
        written = write_student_edition(args.book, args.out)
    except SolutionCellError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(summary(written))
    print(f"student edition of {len(written)} chapter(s) in {args.out}/ "
          f"(see {Path(args.out) / 'README.md'})")
    return 0


def _learner(args) -> int:
    from .learner import write_learner_edition
    try:
        written = write_learner_edition(args.book, args.out)
    except (SolutionCellError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"learner edition of {len(written)} chapter(s) in {args.out}/")
    return 0


def _links(args) -> int:
    from .links import project, sync
    changed = sync(check=args.check)
    p = project()
    verb = "out of date" if args.check else "rewritten"
    for name in changed:
        print(f"{verb}: {name}")
    print(f"{p.repo_url} {p.tag}: {len(changed)} file(s) {verb}")
    return 1 if (args.check and changed) else 0


def _grade(args) -> int:
    from .grading import grade_folder
    try:
        rows = grade_folder(args.submissions, args.out, timeout=args.timeout, jobs=args.jobs,
                            book_dir=args.book, chapters=args.chapter,
                            executed_dir=args.executed)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"no notebook (*.ipynb) in {args.submissions}", file=sys.stderr)
        return 2
    counts = {s: sum(r.status == s for r in rows) for s in ("ok", "timeout", "crashed",
                                                            "invalid")}
    print(f"{len(rows)} student(s) graded into {args.out}: "
          + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return 0


def _list(args) -> int:
    for path in chapter_notebooks(args.book):
        nb = read_notebook(path)
        timing = recorded_run_time(nb)
        when = f"{timing[0]:.0f} s, {timing[1]:.0f} MB" if timing else "run time not recorded"
        print(f"{path.name}: {chapter_title(nb)} ({when})")
        try:
            for info in exercises_of(nb, str(path)):
                print(f"    {info.name or '(no check)':32s} {info.function}: {info.summary}")
        except SolutionCellError as exc:
            print(f"    error: {exc}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nnlib.course.instructor",
        description="Student edition of the chapter notebooks, and grading of submissions.")
    parser.add_argument("--book", type=Path, default=default_book_dir(),
                        help="folder of the chapter notebooks NN_*.ipynb (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("student", help="write the student edition of every chapter notebook")
    p.add_argument("--out", type=Path, default=Path("student"),
                   help="output folder (default: student)")
    p.set_defaults(run=_student)

    p = sub.add_parser("learner", help="write the learner edition (plain Jupyter Markdown, "
                       "no solutions) of every chapter notebook")
    p.add_argument("--out", type=Path, default=Path("learner"),
                   help="output folder (default: learner)")
    p.set_defaults(run=_learner)

    p = sub.add_parser("links", help="write the repository URL and version (from _config.yml "
                       "and nnlib.__version__) into the Colab cells, README and CITATION.cff")
    p.add_argument("--check", action="store_true",
                   help="only list the files that are out of date (exit 1 if any)")
    p.set_defaults(run=_links)

    p = sub.add_parser("grade", help="run submitted notebooks and write a pass/fail CSV")
    p.add_argument("submissions", type=Path,
                   help="folder of submissions: STUDENT.ipynb files and/or STUDENT/ folders")
    p.add_argument("--out", type=Path, default=Path("grades.csv"),
                   help="the CSV to write (default: grades.csv)")
    p.add_argument("--timeout", type=float, default=600,
                   help="seconds of run time allowed per notebook (default: 600)")
    p.add_argument("--jobs", type=int, default=1,
                   help="notebooks run at once, one kernel each (default: 1)")
    p.add_argument("--chapter", type=Path, action="append", metavar="NOTEBOOK",
                   help="take the exercise columns from this chapter notebook (repeatable); "
                        "default: the registered exercises the submissions check")
    p.add_argument("--executed", type=Path, metavar="DIR",
                   help="also save each executed notebook as DIR/<student>/<name>.ipynb")
    p.set_defaults(run=_grade)

    p = sub.add_parser("list", help="print each chapter's exercises and recorded run time")
    p.set_defaults(run=_list)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
