"""The re-runnable seed scripts in benchmarks/ train exactly the recipe their chapter shows."""

import ast
import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _definitions(source):
    """Top-level constants (NAME = literal) and functions (their source) of a code cell."""
    tree = ast.parse(source)
    constants, functions = {}, {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
        elif isinstance(node, ast.FunctionDef):
            functions[node.name] = ast.dump(node)
    return constants, functions


def test_chapter_8_recipe_is_the_benchmark_script():
    nb = nbformat.read(ROOT / "book" / "08_deep_networks.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "def recipe_mlp" in c.source]
    assert len(cells) == 1, "the chapter defines recipe_mlp in one cell"
    script = (ROOT / "benchmarks" / "kmnist_mlp_recipe.py").read_text()
    chapter_constants, chapter_functions = _definitions(cells[0])
    script_constants, script_functions = _definitions(script)
    for name, value in chapter_constants.items():
        assert script_constants.get(name) == value, name
    assert set(chapter_constants) >= {"HIDDEN", "DROPOUT", "LR", "EPOCHS", "BATCH", "MAX_SHIFT"}
    for name in ("recipe_mlp", "train_recipe"):
        assert chapter_functions[name] == script_functions[name], f"{name} differs"
    # the chapter's split: a sixth for validation, with the chapter's seed (0)
    assert _load(ROOT / "benchmarks" / "kmnist_mlp_recipe.py").SPLIT_SEED == 0
    split = [c.source for c in nb.cells if "train_val_split" in c.source]
    assert split and "val_fraction=1 / 6, seed=SEED" in split[0]
