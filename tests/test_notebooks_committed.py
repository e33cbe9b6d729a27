"""Every committed notebook is the record of one clean top-to-bottom run.

The book shows the committed outputs (it never re-executes) and nbval compares against
them, so a notebook must be committed exactly as ``tools/run_notebook.sh`` leaves it:

* every non-empty code cell executed, counts 1, 2, 3, ... in order (one fresh kernel);
* no stored error, no traceback, no widget view (a static page cannot draw it), no output
  showing a local path;
* normalised by ``nbstripout --keep-output --keep-count`` (no run metadata);
* first cell: the Colab install cell, tagged ``remove-cell``, with nothing pinned;
* no code cell ends with a ``;`` to hide its result: nbval runs cells outside IPython's
  history, where the ``;`` has no effect, so the hidden ``Text(...)`` line reappears and the
  comparison fails (end with ``plt.show()`` or an assignment instead);
* a cell holding a headline ``assert`` (a top-level ``assert`` line) carries no tag or
  marker that would skip it, hide it, ignore its output or let it raise;
* every chapter notebook is listed in ``_toc.yml`` (unlisted files are not built).

Notebooks are found by glob: ``book/*.ipynb`` and the chapter template.
"""

from __future__ import annotations

import copy
import io
import json
import re
import tokenize
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("book/*.ipynb")) + sorted(ROOT.glob("templates/*.ipynb"))
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]

# Tags and nbval comment markers that must never be on a cell holding a headline assert:
# they skip it, let it fail, ignore what it prints, or remove it from the book.
FORBIDDEN_ON_ASSERT = {"nbval-skip", "nbval-ignore-output", "raises-exception",
                       "skip-execution", "remove-cell", "remove-input"}
FORBIDDEN_MARKERS = re.compile(r"#\s*NBVAL_(SKIP|IGNORE_OUTPUT|RAISES_EXCEPTION)", re.I)
TOP_LEVEL_ASSERT = re.compile(r"^assert\b", re.M)
LOCAL_PATH = re.compile(r"(/home/|/Users/|/root/|/work/|/tmp/|site-packages|[A-Z]:\\\\Users)")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What the nbstripout command line removes besides outputs (its default extra keys).
NBSTRIPOUT_KEYS = ["metadata.signature", "metadata.widgets", "cell.metadata.collapsed",
                   "cell.metadata.ExecuteTime", "cell.metadata.execution",
                   "cell.metadata.heading_collapsed", "cell.metadata.hidden",
                   "cell.metadata.scrolled"]


def _read(path):
    return nbformat.read(path, as_version=4)


def _code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _output_text(output) -> str:
    if output.output_type == "stream":
        return output.get("text", "")
    if output.output_type == "error":
        return "\n".join(output.get("traceback", []))
    data = output.get("data", {})
    return "\n".join(str(data[k]) for k in ("text/plain", "text/html", "text/markdown")
                     if k in data)


def test_notebooks_found():
    assert NOTEBOOKS, "no notebook found (the chapter template at least should be)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executed_top_to_bottom(path):
    nb = _read(path)
    counts = []
    for i, cell in _code_cells(nb):
        if not cell.source.strip():
            assert cell.execution_count is None and not cell.outputs, f"cell {i}: empty but run"
            continue
        assert cell.execution_count is not None, (
            f"cell {i} was never executed: run the notebook with tools/run_notebook.sh")
        counts.append(cell.execution_count)
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts} are not 1, 2, 3, ...: the notebook was not run once, top "
        "to bottom, in a fresh kernel (use tools/run_notebook.sh)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_errors_widgets_or_local_paths(path):
    nb = _read(path)
    for i, cell in _code_cells(nb):
        for output in cell.outputs:
            assert output.output_type != "error", (
                f"cell {i} stored an error: {output.get('ename')}: {output.get('evalue')}")
            text = _output_text(output)
            assert "Traceback (most recent call last)" not in text, f"cell {i}: a traceback"
            assert WIDGET_VIEW not in output.get("data", {}), (
                f"cell {i} stored a widget view, which the book cannot draw: "
                "use nnlib.course.widgets.interactive_or_static (static under NNLIB_WIDGETS=static)")
            match = LOCAL_PATH.search(text)
            assert not match, f"cell {i} shows a local path ({match.group(0)}...): {text[:200]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_normalised_by_nbstripout(path):
    from nbstripout import strip_output
    nb = _read(path)
    stripped = strip_output(copy.deepcopy(nb), keep_output=True, keep_count=True, keep_id=True,
                            extra_keys=NBSTRIPOUT_KEYS)
    assert json.dumps(stripped, sort_keys=True) == json.dumps(nb, sort_keys=True), (
        "run metadata left in the notebook: normalise it with "
        "`nbstripout --keep-output --keep-count` (tools/run_notebook.sh does)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_cell_installs_nnlib_on_colab_only(path):
    nb = _read(path)
    first = nb.cells[0] if nb.cells else None
    assert first is not None and first.cell_type == "code", "the first cell must be code"
    assert "remove-cell" in first.metadata.get("tags", []), "tag the Colab cell remove-cell"
    src = first.source
    assert '"google.colab" in sys.modules' in src and "%pip install" in src, (
        "the first cell installs nnlib only on Colab (copy it from the chapter template)")
    assert "==" not in src.split("google.colab", 1)[1], "do not pin packages over Colab's own"
    assert not first.outputs, "outside Colab the first cell prints nothing"


def _ends_with_semicolon(source: str) -> bool:
    """True when the last token of the cell (comments aside) is ``;``."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines)).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    for tok in reversed(tokens):
        if tok.type in (tokenize.ENDMARKER, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT,
                        tokenize.DEDENT, tokenize.INDENT):
            continue
        return tok.type == tokenize.OP and tok.string == ";"
    return False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_trailing_semicolon(path):
    nb = _read(path)
    bad = [i for i, cell in _code_cells(nb) if _ends_with_semicolon(cell.source)]
    assert not bad, (
        f"cells {bad} end with ';': under nbval (which does not store cells in IPython's "
        "history) the ';' hides nothing and the output differs. End the cell with "
        "plt.show() or assign the result (ax = ...) instead")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_headline_asserts_are_not_skipped(path):
    nb = _read(path)
    for i, cell in _code_cells(nb):
        if not TOP_LEVEL_ASSERT.search(cell.source):
            continue
        bad = FORBIDDEN_ON_ASSERT & set(cell.metadata.get("tags", []))
        assert not bad, (
            f"cell {i} holds a headline assert but is tagged {sorted(bad)}: keep the assert "
            "in a cell of its own, without such tags, so that it runs and shows")
        marker = FORBIDDEN_MARKERS.search(cell.source)
        assert not marker, f"cell {i} holds a headline assert and the marker {marker.group(0)}"
        assert not cell.metadata.get("jupyter", {}).get("source_hidden"), (
            f"cell {i} holds a headline assert but its source is hidden")


def _toc_files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def test_every_book_notebook_is_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = {str(Path(f).with_suffix("")) for f in _toc_files(toc)}
    missing = [p.name for p in ROOT.glob("book/*.ipynb")
               if str(p.relative_to(ROOT).with_suffix("")) not in listed]
    assert not missing, f"not in _toc.yml, so not in the book: {missing}"
    for f in listed:
        assert any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb")), (
            f"_toc.yml lists {f}, which does not exist")
