"""Mutation testing: plant small bugs in nnlib and report the ones the tests do not catch.

Each *mutant* is a copy of one module with one small change: a comparison flipped
(``<`` to ``<=``), an operator swapped (``+`` to ``-``), a constant changed, ``True`` to
``False``, an ``if`` negated, a statement deleted... The tests that cover the module run
against it, in a private copy of the repository (the working tree is never touched); a
mutant the tests pass on *survives*, and points at a line no test really checks.

    python tools/mutate.py --planted                  # the bugs the audit planted: all caught?
    python tools/mutate.py --sample 150 --seed 0      # a random sample of every mutant
    python tools/mutate.py --modules nnlib/optim.py   # every mutant of one module

Not every survivor is a gap: some mutants are *equivalent* (``x > 0`` and ``x >= 0`` agree
when ``x`` is never 0, a constant only changes speed). Read the report, then add a test
for each real gap.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
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
# The tests that cover each module (the rest of the suite is slower and adds little).
TESTS = {
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
}
FALLBACK_TESTS = ["tests/test_core.py", "tests/test_wiring.py"]

# The bugs planted by the audit of issue 17 that the suite did not catch at the time:
# (name, module, exact source text, its replacement).
PLANTED = [
    ("fit never adds the regularizer's gradient", "nnlib/training.py",
     "run.regularizer.add_gradient(params)", "pass"),
    ("fit ignores clip_norm", "nnlib/training.py",
     "clip_grad_norm(params, run.clip_norm)", "pass"),
    ("train_loss weighted by batch_size, not the batch's length", "nnlib/training.py",
     "total_loss += batch_loss * len(idx)", "total_loss += batch_loss * B"),
    ("EarlyStopping's min_delta with the wrong sign", "nnlib/training.py",
     "return value < self.best - self.min_delta", "return value < self.best + self.min_delta"),
    ("the classifier's l2 option builds an L1 penalty", "nnlib/classifier.py",
     "return L2(self.l2)", "return L1(self.l2)"),
    ("overlapping max-pool: the winner's offset transposed (fast path)", "nnlib/conv.py",
     "grad_out * (arg == u * kw + v)", "grad_out * (arg == v * kw + u)"),
    ("overlapping max-pool: the winner's offset transposed (reference path)", "nnlib/conv.py",
     "u, v = np.divmod(winner, kw)", "v, u = np.divmod(winner, kw)"),
    ("Conv2D's Xavier fan-out without the kernel size", "nnlib/conv.py",
     "self.in_channels * kh * kw, self.out_channels * kh * kw,",
     "self.in_channels * kh * kw, self.out_channels,"),
    ("fit never shuffles", "nnlib/training.py",
     "order = run.rng.permutation(n) if shuffle else np.arange(n)", "order = np.arange(n)"),
]

SWAP_OPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
            ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv}
SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
            ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
            ast.In: ast.NotIn, ast.NotIn: ast.In}
SKIP_FUNCTIONS = {"__repr__", "_options", "__str__"}


@dataclass
class Mutant:
    module: str
    line: int
    kind: str
    source: str          # the whole mutated module
    original_line: str
    mutated_line: str = ""


# ------------------------------------------------------------------ generating mutants
def _skipped_nodes(tree) -> set[int]:
    """ids of nodes never mutated: docstrings, f-strings, raise statements, __repr__, ..."""
    skip: set[int] = set()

    def mark(node):
        for sub in ast.walk(node):
            skip.add(id(sub))

    for node in ast.walk(tree):
        if isinstance(node, (ast.JoinedStr, ast.Raise, ast.Assert, ast.Import, ast.ImportFrom)):
            mark(node)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)):
            if isinstance(node, ast.FunctionDef) and node.name in SKIP_FUNCTIONS:
                mark(node)
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                mark(body[0])                                       # a docstring
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("print", "warn"):
            mark(node)
    # module-level statements (imports, __all__, tables of names) are not code under test
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            mark(stmt)
    return skip


def _mutations(node, in_function: bool):
    """(kind, mutated copy of node) pairs for one node."""
    if isinstance(node, ast.BinOp) and type(node.op) in SWAP_OPS:
        yield f"{type(node.op).__name__}->{SWAP_OPS[type(node.op)].__name__}", \
            ast.BinOp(node.left, SWAP_OPS[type(node.op)](), node.right)
    elif isinstance(node, ast.AugAssign) and type(node.op) in SWAP_OPS:
        yield f"{type(node.op).__name__}=->{SWAP_OPS[type(node.op)].__name__}=", \
            ast.AugAssign(node.target, SWAP_OPS[type(node.op)](), node.value)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAP_CMP:
        new = SWAP_CMP[type(node.ops[0])]
        yield f"{type(node.ops[0]).__name__}->{new.__name__}", \
            ast.Compare(node.left, [new()], node.comparators)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"{type(node.op).__name__}->{type(other).__name__}", ast.BoolOp(other, node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        yield f"drop {type(node.op).__name__}", node.operand
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        v = node.value
        if isinstance(v, bool):
            yield f"{v}->{not v}", ast.Constant(not v)
        elif isinstance(v, int):
            yield f"{v}->{v + 1}", ast.Constant(v + 1)
        else:
            yield f"{v}->{v * 2 if v else 1.0}", ast.Constant(v * 2 if v else 1.0)
    elif isinstance(node, ast.If):
        yield "negate if", ast.If(ast.UnaryOp(ast.Not(), node.test), node.body, node.orelse)
    if in_function and isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign)):
        yield "delete statement", ast.Pass()


class _Replace(ast.NodeTransformer):
    def __init__(self, target, replacement):
        self.target, self.replacement = target, replacement

    def generic_visit(self, node):
        for field, old in ast.iter_fields(node):
            if isinstance(old, list):
                for i, item in enumerate(old):
                    if item is self.target:
                        old[i] = self.replacement
                    elif isinstance(item, ast.AST):
                        self.generic_visit(item)
            elif old is self.target:
                setattr(node, field, self.replacement)
            elif isinstance(old, ast.AST):
                self.generic_visit(old)
        return node


def generate(module: str) -> list[Mutant]:
    text = (ROOT / module).read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    skip = _skipped_nodes(tree)
    in_function: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            in_function.update(id(n) for n in ast.walk(fn) if n is not fn)
    mutants = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip or not hasattr(node, "lineno"):
            continue
        for kind, replacement in _mutations(node, id(node) in in_function):
            mutated_tree = copy.deepcopy(tree)
            target = list(ast.walk(mutated_tree))[index]
            new_node = copy.deepcopy(replacement)     # its children: copies of the original's
            ast.copy_location(new_node, target)
            _Replace(target, new_node).visit(mutated_tree)
            ast.fix_missing_locations(mutated_tree)
            try:
                source = ast.unparse(mutated_tree)
            except Exception:          # noqa: BLE001 - an unparsable mutant is skipped
                continue
            original = lines[node.lineno - 1].strip()
            try:
                shown = ast.unparse(new_node).splitlines()[0]
            except Exception:          # noqa: BLE001
                shown = kind
            mutants.append(Mutant(module, node.lineno, kind, source, original, shown))
    return mutants


# ------------------------------------------------------------------ running the tests
def make_sandbox() -> Path:
    sandbox = Path(tempfile.mkdtemp(prefix="nnlib-mutate-"))
    for name in ("nnlib", "tests"):
        shutil.copytree(ROOT / name, sandbox / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "conftest.py"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, sandbox / name)
    return sandbox


def run_tests(sandbox: Path, tests: list[str], timeout: float) -> str:
    env = dict(os.environ, PYTHONPATH=str(sandbox), PYTHONDONTWRITEBYTECODE="1",
               OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-p", "no:randomly", *tests]
    try:
        proc = subprocess.run(cmd, cwd=sandbox, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if proc.returncode == 0:
        return "survived"
    if proc.returncode == 1:
        return "killed"
    return "error"            # collection error, syntax error: the mutant broke the import


def check_sandbox(sandbox: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(sandbox))
    out = subprocess.run([sys.executable, "-c", "import nnlib; print(nnlib.__file__)"],
                         cwd=sandbox, env=env, capture_output=True, text=True, check=True)
    if not out.stdout.strip().startswith(str(sandbox)):
        raise SystemExit(f"the sandbox does not import its own nnlib: {out.stdout.strip()}")


def evaluate(mutants, jobs: int, timeout: float, write):
    sandboxes = [make_sandbox() for _ in range(jobs)]
    check_sandbox(sandboxes[0])
    results = [None] * len(mutants)
    free = list(range(jobs))

    def one(i):
        slot = free.pop()
        sandbox = sandboxes[slot]
        m = mutants[i]
        path = sandbox / m.module
        original = path.read_text()
        try:
            path.write_text(m.source)
            results[i] = run_tests(sandbox, TESTS.get(m.module, FALLBACK_TESTS), timeout)
        finally:
            path.write_text(original)
            free.append(slot)
        write(f"  [{i + 1}/{len(mutants)}] {results[i]:8} {m.module}:{m.line} {m.kind}")
        return results[i]

    try:
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(one, range(len(mutants))))
    finally:
        for sandbox in sandboxes:
            shutil.rmtree(sandbox, ignore_errors=True)
    return results


# ------------------------------------------------------------------ main
def planted_mutants() -> list[Mutant]:
    mutants = []
    for name, module, old, new in PLANTED:
        text = (ROOT / module).read_text()
        count = text.count(old)
        if count != 1:
            raise SystemExit(f"planted bug {name!r}: the snippet {old!r} occurs {count} times "
                             f"in {module} (expected once); update PLANTED to the code")
        line = text[:text.index(old)].count("\n") + 1
        mutants.append(Mutant(module, line, name, text.replace(old, new), old, new))
    return mutants


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", default=DEFAULT_MODULES)
    parser.add_argument("--planted", action="store_true", help="only the audit's planted bugs")
    parser.add_argument("--sample", type=int, help="a random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)

    report: list[str] = []

    def write(line=""):
        print(line, flush=True)
        report.append(line)

    if args.planted:
        mutants = planted_mutants()
    else:
        mutants = [m for module in args.modules for m in generate(module)]
        write(f"{len(mutants)} mutants in {', '.join(args.modules)}")
        if args.sample and args.sample < len(mutants):
            mutants = random.Random(args.seed).sample(mutants, args.sample)
            mutants.sort(key=lambda m: (m.module, m.line))
            write(f"a random sample of {len(mutants)} (seed {args.seed})")
    start = time.perf_counter()
    results = evaluate(mutants, args.jobs, args.timeout, write)
    seconds = time.perf_counter() - start

    write("")
    write("survivors (the tests pass with this change):")
    for m, r in zip(mutants, results):
        if r == "survived":
            write(f"  {m.module}:{m.line} [{m.kind}]  {m.original_line!r} -> {m.mutated_line!r}")
    write("")
    write(f"{'module':<24}{'mutants':>8}{'killed':>8}{'error':>7}{'timeout':>8}{'survived':>9}")
    for module in sorted({m.module for m in mutants}):
        rs = [r for m, r in zip(mutants, results) if m.module == module]
        write(f"{module:<24}{len(rs):>8}{rs.count('killed'):>8}{rs.count('error'):>7}"
              f"{rs.count('timeout'):>8}{rs.count('survived'):>9}")
    survived = results.count("survived")
    write(f"overall: {survived} of {len(results)} survived ({100 * survived / len(results):.1f} %)"
          f" in {seconds:.0f} s ({seconds / len(results):.1f} s per mutant, {args.jobs} jobs)")
    if args.out:
        Path(args.out).write_text("\n".join(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
