"""Mutation testing: plant small bugs in nnlib and report the ones the tests do not catch.

Each *mutant* is a copy of one module with one small change: a comparison flipped
(``<`` to ``<=``), an operator swapped (``+`` to ``-``), a constant changed (``n`` to
``n + 1``, ``0`` to ``1``), ``True`` to ``False``, an ``if`` negated, ``and`` to ``or``, a
unary minus dropped, a statement replaced by ``pass``. The tests run against it in a
private copy of the repository (the working tree is never touched, and the copy's
``nnlib`` is the one imported, not the editable install); a mutant the tests pass on
*survives*, and points at a line no test really checks.

    python tools/mutate.py --planted                  # the audit's planted bugs: all caught?
    python tools/mutate.py --sample 60 --seed 0       # a random sample of every mutant
    python tools/mutate.py --modules nnlib/optim.py   # every mutant of one module
    python tools/mutate.py --list                     # count (and list) the mutants only

A change is made to the module's *text*, at the exact span of one AST node, so the rest of
the file (comments, line numbers in tracebacks) stays as it was. Docstrings, f-strings,
``raise`` and ``assert`` statements (error messages), ``__repr__``, imports, module-level
tables and calls that only print or draw (``print``, ``warn``, progress bars) are never
mutated.

Not every survivor is a gap: some mutants are *equivalent* (``x > 0`` and ``x >= 0`` agree
when ``x`` is never 0; a constant may only change speed). Read the report, then add a test
for each real gap.
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODULES = ["nnlib/training.py", "nnlib/optim.py", "nnlib/conv.py", "nnlib/classifier.py"]
DEFAULT_TESTS = ["tests/test_training.py", "tests/test_optim.py", "tests/test_conv.py",
                 "tests/test_wiring.py", "tests/test_core.py", "tests/test_augmentation.py",
                 "tests/test_api_contract.py", "tests/test_bad_input.py",
                 "tests/test_classifier.py", "tests/test_io.py"]
# --tests auto: the tests that cover each module (a faster, narrower selection).
MODULE_TESTS = {
    "nnlib/training.py": ["tests/test_wiring.py", "tests/test_api_contract.py",
                          "tests/test_training.py", "tests/test_bad_input.py",
                          "tests/test_augmentation.py", "tests/test_classifier.py"],
    "nnlib/optim.py": ["tests/test_optim.py", "tests/test_wiring.py", "tests/test_api_contract.py",
                       "tests/test_training.py"],
    "nnlib/flat.py": ["tests/test_optim.py", "tests/test_wiring.py"],
    "nnlib/conv.py": ["tests/test_conv.py", "tests/test_wiring.py", "tests/test_api_contract.py",
                      "tests/test_bad_input.py"],
    "nnlib/classifier.py": ["tests/test_classifier.py", "tests/test_wiring.py",
                            "tests/test_api_contract.py", "tests/test_training.py"],
    "nnlib/autograd.py": ["tests/test_autograd.py"],
    "nnlib/normalization.py": ["tests/test_normalization.py"],
}
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "_build", "__pycache__", "*.pyc",
                                     ".pytest_cache", ".ipynb_checkpoints", "*.egg-info",
                                     ".jupyter_cache")

# The 8 bugs planted by the audit that the suite did not catch at the time, as text
# substitutions on the current code: (name, module, exact source text, its replacement).
# The max-pool bug has three spellings (the fast path, the reference path, and a kh/kw mix-up
# that only a non-square window shows). If the code changes so that a snippet no longer
# occurs exactly once, the run reports "snippet not found" for it: update the snippet.
PLANTED = [
    ("1. fit never adds the regularizer's gradient", "nnlib/training.py",
     "run.regularizer.add_gradient(params)", "pass"),
    ("2. fit ignores clip_norm", "nnlib/training.py",
     "clip_grad_norm(params, run.clip_norm)", "pass"),
    ("3. train_loss weighted by batch_size, not the batch's length", "nnlib/training.py",
     "total_loss += batch_loss * len(idx)", "total_loss += batch_loss * B"),
    ("4. EarlyStopping's min_delta with the wrong sign", "nnlib/training.py",
     "return value < self.best - self.min_delta", "return value < self.best + self.min_delta"),
    ("5. the classifier's l2 option builds an L1 penalty", "nnlib/classifier.py",
     "return L2(self.l2)", "return L1(self.l2)"),
    ("6a. overlapping max-pool: the winner's offset transposed (fast path)", "nnlib/conv.py",
     "grad_out * (arg == u * kw + v)", "grad_out * (arg == v * kw + u)"),
    ("6b. overlapping max-pool: the winner's offset transposed (reference path)",
     "nnlib/conv.py", "u, v = np.divmod(winner, kw)", "v, u = np.divmod(winner, kw)"),
    ("6c. overlapping max-pool: the winner's offset with kh for kw (fast path)",
     "nnlib/conv.py", "grad_out * (arg == u * kw + v)", "grad_out * (arg == u * kh + v)"),
    ("7. Conv2D's Xavier fan-out without the kernel size", "nnlib/conv.py",
     "self.in_channels * kh * kw, self.out_channels * kh * kw,",
     "self.in_channels * kh * kw, self.out_channels,"),
    ("8. fit never shuffles", "nnlib/training.py",
     "order = run.rng.permutation(n) if shuffle else np.arange(n)", "order = np.arange(n)"),
]

BIN_SWAP = {ast.Add: (ast.Sub, "-"), ast.Sub: (ast.Add, "+"), ast.Mult: (ast.Div, "/"),
            ast.Div: (ast.Mult, "*"), ast.FloorDiv: (ast.Div, "/"), ast.Pow: (ast.Mult, "*"),
            ast.Mod: (ast.FloorDiv, "//")}
CMP_SWAP = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">", ast.Eq: "!=",
            ast.NotEq: "==", ast.Is: "is not", ast.IsNot: "is", ast.In: "not in",
            ast.NotIn: "in"}
SKIP_FUNCTIONS = {"__repr__", "__str__", "_options"}
SKIP_CALLS = {"print", "warn", "progress_bar", "set_postfix", "add_note"}
ATOMIC = (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript, ast.List, ast.Tuple)


@dataclass
class Mutant:
    module: str
    line: int
    kind: str
    text: str            # the whole mutated module
    original_line: str
    mutated_line: str


# ------------------------------------------------------------------ generating mutants
def _skipped(tree: ast.Module) -> set[int]:
    """ids of the nodes never mutated (see the module docstring)."""
    skip: set[int] = set()

    def mark(node):
        skip.update(id(sub) for sub in ast.walk(node))

    for stmt in tree.body:                      # imports, __all__, tables of names
        if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            mark(stmt)
    for node in ast.walk(tree):
        if isinstance(node, (ast.JoinedStr, ast.Raise, ast.Assert, ast.Import,
                             ast.ImportFrom, ast.Global, ast.Nonlocal)):
            mark(node)
        elif isinstance(node, ast.Call):
            f = node.func
            if getattr(f, "id", None) in SKIP_CALLS or getattr(f, "attr", None) in SKIP_CALLS:
                mark(node)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            mark(node.annotation)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name in SKIP_FUNCTIONS:
                mark(node)
            if node.returns is not None:
                mark(node.returns)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                mark(body[0])                   # a docstring
    return skip


class _Source:
    """The module's text with byte-exact spans of AST nodes (col_offset counts UTF-8 bytes)."""

    def __init__(self, text: str):
        self.data = text.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node) -> tuple[int, int]:
        return (self.starts[node.lineno - 1] + node.col_offset,
                self.starts[node.end_lineno - 1] + node.end_col_offset)

    def seg(self, node) -> str:
        a, b = self.span(node)
        return self.data[a:b].decode()

    def par(self, node) -> str:
        """The node's source, parenthesised unless it is atomic (a name, a call, ...)."""
        s = self.seg(node)
        return s if isinstance(node, ATOMIC) else f"({s})"

    def replace(self, node, new: str) -> str:
        a, b = self.span(node)
        return (self.data[:a] + new.encode() + self.data[b:]).decode()


def _new_constant(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return {0: 1, 1: 0}.get(v, v + 1)
    return {0.0: 1.0, 1.0: 0.0}.get(v, v * 2)


def _mutations(node, src: _Source, in_function: bool):
    """(kind, node whose span is replaced, replacement text) for one node."""
    if isinstance(node, ast.BinOp) and type(node.op) in BIN_SWAP:
        new, sym = BIN_SWAP[type(node.op)]
        yield (f"{type(node.op).__name__}->{new.__name__}", node,
               f"({src.par(node.left)} {sym} {src.par(node.right)})")
    elif isinstance(node, ast.AugAssign) and type(node.op) in BIN_SWAP:
        new, sym = BIN_SWAP[type(node.op)]
        yield (f"{type(node.op).__name__}=->{new.__name__}=", node,
               f"{src.seg(node.target)} {sym}= {src.seg(node.value)}")
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in CMP_SWAP:
        sym = CMP_SWAP[type(node.ops[0])]
        yield (f"{type(node.ops[0]).__name__}->{sym}", node,
               f"({src.par(node.left)} {sym} {src.par(node.comparators[0])})")
    elif isinstance(node, ast.BoolOp):
        sym = "or" if isinstance(node.op, ast.And) else "and"
        yield (f"{type(node.op).__name__.lower()}->{sym}", node,
               "(" + f" {sym} ".join(src.par(v) for v in node.values) + ")")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        yield f"drop {'-' if isinstance(node.op, ast.USub) else 'not'}", node, \
            src.par(node.operand)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        new = _new_constant(node.value)
        yield f"{node.value!r}->{new!r}", node, repr(new)
    elif isinstance(node, (ast.If, ast.IfExp, ast.While)) and not (
            isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)):
        # (``if not x``: dropping the ``not`` is the same mutant)
        yield f"negate {type(node).__name__.lower()}", node.test, f"not ({src.seg(node.test)})"
    if in_function and isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)):
        yield "statement -> pass", node, "pass"


def generate(module: str) -> list[Mutant]:
    """Every mutant of ``module`` (a path relative to the repository), in source order."""
    text = (ROOT / module).read_text()
    tree = ast.parse(text)
    original_dump = ast.dump(tree)
    lines = text.splitlines()
    src, skip = _Source(text), _skipped(tree)
    in_function: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(n) for n in ast.walk(fn) if n is not fn)
    mutants, seen = [], set()
    for node in ast.walk(tree):
        if id(node) in skip or not hasattr(node, "lineno"):
            continue
        for kind, target, new in _mutations(node, src, id(node) in in_function):
            mutated = src.replace(target, new)
            try:
                dump = ast.dump(ast.parse(mutated))
            except SyntaxError:
                continue
            if dump == original_dump or dump in seen:     # no change, or a duplicate
                continue
            seen.add(dump)
            line = target.lineno
            mutants.append(Mutant(module, line, kind, mutated, lines[line - 1].strip(),
                                  mutated.splitlines()[line - 1].strip()))
    mutants.sort(key=lambda m: m.line)
    return mutants


def planted_mutants() -> tuple[list[Mutant], list[str]]:
    """The PLANTED bugs as mutants, and a message for each snippet that does not match."""
    mutants, missing = [], []
    for name, module, old, new in PLANTED:
        text = (ROOT / module).read_text()
        count = text.count(old)
        if count != 1:
            why = "snippet not found" if count == 0 else f"snippet found {count} times"
            missing.append(f"  {why}: {name}\n      {module}: {old!r} (update PLANTED in "
                           f"tools/mutate.py to the current code)")
            continue
        at = text.index(old)
        line = text[:at].count("\n") + 1
        mutated = text.replace(old, new)
        mutants.append(Mutant(module, line, name, mutated, text.splitlines()[line - 1].strip(),
                              mutated.splitlines()[line - 1].strip()))
    return mutants, missing


# ------------------------------------------------------------------ running the tests
def _env(sandbox: Path) -> dict:
    return dict(os.environ, PYTHONPATH=str(sandbox), PYTHONDONTWRITEBYTECODE="1",
                OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                MPLBACKEND="Agg", TQDM_DISABLE="1")


def make_sandbox() -> Path:
    """A private copy of the repository (without .git, .venv, _build, caches)."""
    sandbox = Path(tempfile.mkdtemp(prefix="nnlib-mutate-")) / "repo"
    shutil.copytree(ROOT, sandbox, ignore=COPY_IGNORE)
    return sandbox


def check_sandbox(sandbox: Path) -> None:
    """Under pytest, in the sandbox, ``import nnlib`` must load the sandbox's copy.

    (nnlib is installed editable, pointing to the working tree; PYTHONPATH must win.)
    """
    probe = sandbox / "tests" / "test__mutate_probe.py"
    probe.write_text("import os\nimport nnlib\n\n\ndef test_where():\n"
                     f"    root = os.path.realpath({str(sandbox)!r})\n"
                     "    assert os.path.realpath(nnlib.__file__).startswith(root + os.sep), "
                     "nnlib.__file__\n")
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", *PYTEST_ARGS, str(probe)],
                              cwd=sandbox, env=_env(sandbox), capture_output=True, text=True)
    finally:
        probe.unlink()
    if proc.returncode != 0:
        raise SystemExit("the sandbox does not import its own nnlib under pytest:\n"
                         + proc.stdout[-2000:] + proc.stderr[-2000:])


FAILED = re.compile(r"^(FAILED|ERROR) (\S+)", re.M)


def run_tests(sandbox: Path, tests: list[str], timeout: float) -> tuple[str, str]:
    """``(outcome, first failing test)``; outcome is killed, survived, timeout or error."""
    cmd = [sys.executable, "-m", "pytest", *PYTEST_ARGS, *tests]
    try:
        proc = subprocess.run(cmd, cwd=sandbox, env=_env(sandbox), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", ""
    found = FAILED.search(proc.stdout)
    by = found.group(2) if found else ""
    if proc.returncode == 0:
        return "survived", ""
    if proc.returncode == 1:
        return "killed", by
    tail = proc.stdout.strip().splitlines()
    return "error", by or (tail[-1] if tail else proc.stderr.strip()[-200:])


def evaluate(mutants, tests_for, jobs: int, timeout: float, write):
    """Run the tests on every mutant, ``jobs`` sandboxes at a time; the outcomes in order."""
    sandboxes = [make_sandbox() for _ in range(max(1, jobs))]
    free: queue.Queue = queue.Queue()
    for s in sandboxes:
        free.put(s)
    results: list = [None] * len(mutants)

    def one(i):
        sandbox = free.get()
        m = mutants[i]
        path = sandbox / m.module
        original = path.read_text()
        start = time.perf_counter()
        try:
            path.write_text(m.text)
            results[i] = (*run_tests(sandbox, tests_for(m.module), timeout),
                          time.perf_counter() - start)
        finally:
            path.write_text(original)
            free.put(sandbox)
        outcome, by, seconds = results[i]
        write(f"  [{i + 1}/{len(mutants)}] {outcome:8} {seconds:5.1f} s  {m.module}:{m.line} "
              f"[{m.kind}]" + (f"  by {by}" if by else ""))

    try:
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            list(pool.map(one, range(len(mutants))))
    finally:
        for s in sandboxes:
            shutil.rmtree(s.parent, ignore_errors=True)
    return results


def baseline(tests: list[str], write) -> float:
    """Check the sandbox imports its own nnlib and that the unmutated tests pass; seconds."""
    sandbox = make_sandbox()
    try:
        check_sandbox(sandbox)
        start = time.perf_counter()
        outcome, by = run_tests(sandbox, tests, 1800)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(sandbox.parent, ignore_errors=True)
    if outcome != "survived":
        raise SystemExit(f"the unmutated tests do not pass in the sandbox ({outcome} {by}); "
                         "fix them first, or every mutant would count as killed")
    write(f"sandbox imports its own nnlib under pytest: yes; unmutated tests pass in "
          f"{seconds:.1f} s")
    return seconds


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", default=DEFAULT_MODULES)
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS,
                        help="pytest selection run on every mutant; 'auto' picks the tests of "
                             "each module (MODULE_TESTS)")
    parser.add_argument("--planted", action="store_true", help="only the audit's planted bugs")
    parser.add_argument("--sample", type=int, help="a random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample")
    parser.add_argument("--max-mutants", type=int, help="at most this many (the first ones)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float,
                        help="seconds per mutant (default: 5x the unmutated run + 10 s)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)

    auto = args.tests == ["auto"]

    def tests_for(module):
        return MODULE_TESTS.get(module, DEFAULT_TESTS) if auto else args.tests

    report: list[str] = []

    def write(line=""):
        print(line, flush=True)
        report.append(line)

    missing: list[str] = []
    total = None
    if args.planted:
        mutants, missing = planted_mutants()
        write(f"{len(PLANTED)} planted bugs")
    else:
        mutants = [m for module in args.modules for m in generate(module)]
        total = len(mutants)
        counts = ", ".join(f"{mod} {sum(m.module == mod for m in mutants)}"
                           for mod in args.modules)
        write(f"{total} mutants ({counts})")
        if args.sample and args.sample < len(mutants):
            mutants = random.Random(args.seed).sample(mutants, args.sample)
            mutants.sort(key=lambda m: (m.module, m.line))
            write(f"a random sample of {len(mutants)} (seed {args.seed})")
        if args.max_mutants is not None:
            mutants = mutants[:args.max_mutants]
    if args.list:
        for m in mutants:
            write(f"  {m.module}:{m.line} [{m.kind}]  {m.original_line}  ->  {m.mutated_line}")
        return 0
    write("tests: " + ("per module (auto)" if auto else " ".join(args.tests)))
    selections = {tuple(tests_for(m.module)) for m in mutants} or {tuple(args.tests)}
    base = max(baseline(list(s), write) for s in selections)
    timeout = args.timeout or 5 * base + 10
    write(f"timeout per mutant: {timeout:.0f} s")
    start = time.perf_counter()
    results = evaluate(mutants, tests_for, args.jobs, timeout, write)
    seconds = time.perf_counter() - start
    outcomes = [r[0] for r in results]

    write("")
    if args.planted:
        write("planted bugs:")
        for m, (outcome, by, _) in zip(mutants, results):
            verdict = {"killed": "caught", "error": "caught (import error)"}.get(outcome,
                                                                                outcome.upper())
            write(f"  {verdict:9} {m.kind}  ({m.module}:{m.line})" + (f"\n            by {by}"
                                                                        if by else ""))
        for line in missing:
            write(line)
    write("survivors (the tests pass with this change):")
    for m, outcome in zip(mutants, outcomes):
        if outcome == "survived":
            write(f"  {m.module}:{m.line} [{m.kind}]\n      - {m.original_line}\n"
                  f"      + {m.mutated_line}")
    if "survived" not in outcomes:
        write("  none")
    write("")
    write(f"{'module':<24}{'mutants':>8}{'killed':>8}{'error':>7}{'timeout':>8}{'survived':>9}"
          f"{'survival':>9}")
    for module in sorted({m.module for m in mutants}):
        rs = [r for m, r in zip(mutants, outcomes) if m.module == module]
        write(f"{module:<24}{len(rs):>8}{rs.count('killed'):>8}{rs.count('error'):>7}"
              f"{rs.count('timeout'):>8}{rs.count('survived'):>9}"
              f"{100 * rs.count('survived') / len(rs):>8.1f}%")
    n, survived = len(outcomes), outcomes.count("survived")
    if n:
        write(f"overall: {survived} of {n} survived ({100 * survived / n:.1f} %; errors and "
              f"timeouts count as killed) in {seconds:.0f} s, {seconds / n:.1f} s per mutant "
              f"with {args.jobs} job(s)")
        if total is not None and total > n:
            write(f"a full run of the {total} mutants would take about "
                  f"{total * seconds / n / 60:.0f} min with {args.jobs} job(s)")
    if missing and not args.planted:
        write("\n".join(missing))
    if args.out:
        Path(args.out).write_text("\n".join(report) + "\n")
    return 1 if (args.planted and (survived or missing)) else 0


if __name__ == "__main__":
    sys.exit(main())
