"""Release files agree with each other, and the GitHub workflows name only what exists.

A release is the tag ``vX.Y.Z`` of pyproject's version, with its CHANGELOG entry and the same
version in CITATION.cff (CONTRIBUTING.md, "Releases and versions"). The workflows run
``.ci/run`` and Makefile targets: a renamed target or script must not leave them dangling.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path

import nbformat
import pytest

from nnlib.course.instructor.links import (
    README_END,
    README_START,
    chapter_notebooks,
    colab_cell_source,
    project,
    sync,
)

yaml = pytest.importorskip("yaml")
tomllib = pytest.importorskip("tomllib")   # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)


def pyproject_version() -> str:
    """The version pyproject builds: ``nnlib.__version__`` (dynamic), read as setuptools does."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"], "the version is written in nnlib/__init__.py"
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "nnlib.__version__"}
    return project().version


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def changelog_releases() -> list[tuple[str, str]]:
    return RELEASE.findall((ROOT / "CHANGELOG.md").read_text())


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict) and "jobs" in data, f"{name} is not a workflow"
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(wf: dict) -> list[dict]:
    return [s for job in wf["jobs"].values() for s in job.get("steps", [])]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, re.M))


# --- Versions -------------------------------------------------------------------------
def test_changelog_has_unreleased_and_dated_releases_newest_first():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]" in text, "Keep a Changelog: an Unreleased section on top"
    releases = changelog_releases()
    assert releases, "no release heading like '## [0.1.0] - 2026-11-22'"
    versions = [tuple(map(int, v.split("."))) for v, _ in releases]
    assert versions == sorted(versions, reverse=True), "newest release first"
    for _, date in releases:
        dt.date.fromisoformat(date)
    assert text.index("## [Unreleased]") < text.index(f"## [{releases[0][0]}]")
    for version, _ in releases:   # each heading has its link at the bottom
        assert re.search(rf"^\[{re.escape(version)}\]: https://\S+v{re.escape(version)}$",
                         text, re.M), f"no link line for [{version}]"


def test_versions_agree():
    version = pyproject_version()
    newest, date = changelog_releases()[0]
    cff = citation()
    assert cff["version"] == version == newest, (
        f"pyproject {version}, CITATION.cff {cff['version']}, CHANGELOG {newest}: "
        "bump all three together (CONTRIBUTING.md, Releases and versions)")
    assert str(cff["date-released"]) == date, "CITATION.cff date-released = the CHANGELOG date"


def test_citation_has_the_required_keys():
    cff = citation()
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "date-released",
                "repository-code", "license"):
        assert cff.get(key), f"CITATION.cff: {key} is missing"
    assert cff["authors"] == [{"name": "The Neural Networks from Scratch authors"}]
    assert cff["license"] == "MIT"
    dt.date.fromisoformat(str(cff["date-released"]))
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cff["repository-code"] == config["repository"]["url"], (
        "CITATION.cff repository-code must be _config.yml's repository url")
    assert config["author"] == cff["authors"][0]["name"]


# --- Workflows ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["test.yml", "book.yml"])
def test_workflow_parses_and_pins_the_project_python(name):
    wf = workflow(name)
    python = (ROOT / "runtime.txt").read_text().strip().removeprefix("python-")
    setups = [s for s in steps(wf) if s.get("uses", "").startswith("actions/setup-python@")]
    assert setups, f"{name}: no actions/setup-python step"
    for s in setups:
        assert str(s["with"]["python-version"]) == python, f"{name}: Python is not {python}"
        assert s["with"].get("cache") == "pip", f"{name}: pip downloads are not cached"
        for path in s["with"]["cache-dependency-path"].split():
            assert (ROOT / path).is_file(), f"{name}: cache-dependency-path {path} does not exist"
    for job in wf["jobs"].values():
        assert job["runs-on"].startswith("ubuntu-")


def run_commands(wf: dict) -> list[list[str]]:
    """Every shell command of every `run:` step, split into words (continuations joined)."""
    out = []
    for s in steps(wf):
        for line in s.get("run", "").replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                out.append(shlex.split(line))
    return out


FILE_LIKE = re.compile(r"[^$\-][^$]*/[^$]*|[\w.-]+\.(sh|py|txt|toml|cfg|yml)")


@pytest.mark.parametrize("name", ["test.yml", "book.yml"])
def test_workflow_references_only_what_exists(name, monkeypatch):
    wf = workflow(name)
    targets = make_targets()
    from nnlib.datasets import __main__ as datasets_cli
    calls = []
    monkeypatch.setattr(datasets_cli, "download", lambda *a, **k: calls.append((a, k)) or 0)
    for words in run_commands(wf):
        if words[0] == "make":
            for target in (w for w in words[1:] if not w.startswith("-") and "=" not in w):
                assert target in targets, f"{name}: make {target}: no such Makefile target"
        for word in words:
            if FILE_LIKE.fullmatch(word):
                assert (ROOT / word).exists(), f"{name}: {word} does not exist"
        if words[:2] == ["python", "-m"] and words[2].startswith("nnlib"):
            module = ROOT / words[2].replace(".", "/")
            assert (module / "__main__.py").is_file(), f"{name}: no module {words[2]}"
        if words[:4] == ["python", "-m", "nnlib.datasets", "download"]:
            # The real parser, with the download replaced: an unknown option exits 2.
            assert datasets_cli.main(words[3:]) == 0
            assert calls.pop()[0][0] == ["mnist", "kmnist"]


def test_test_workflow_runs_ci_with_downloaded_data():
    wf = workflow("test.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    commands = [" ".join(w) for w in run_commands(wf)]
    assert "bash .ci/run" in commands, "test.yml runs what CI runs"
    env = wf["jobs"]["test"]["env"]
    download = next(c for c in commands if c.startswith("python -m nnlib.datasets download"))
    assert "mnist kmnist" in download and '--data-home $NNLIB_DATA' in download
    assert "--format all" in download, "tests/test_datasets.py reads both KMNIST formats"
    assert env["NNLIB_DATA"].endswith("/data")
    cache = next(s for s in steps(wf) if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "data" and "/data/" in (ROOT / ".gitignore").read_text()
    assert "data" in yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"]


def test_book_workflow_deploys_the_built_html_to_pages():
    wf = workflow("book.yml")
    assert wf["on"]["push"]["branches"] == ["main"] and wf["on"]["push"]["tags"] == ["v*"]
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"
    uses = {s.get("uses", "").split("@")[0]: s for s in steps(wf)}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in uses
    assert ["make", "book"] in run_commands(wf)
    assert wf["jobs"]["deploy"]["needs"] == "build"
    assert wf["jobs"]["deploy"]["environment"]["name"] == "github-pages"


# --------------------------------------------------------------------------- one place
def test_url_and_version_are_written_everywhere_from_one_place():
    """`make links` has been run: the Colab cells, README links and CITATION.cff agree with
    _config.yml's URL and nnlib.__version__."""
    assert sync(check=True) == [], "run `make links` (or `make learner`)"


def test_the_colab_cell_installs_the_tagged_release_with_the_chapters_extra():
    p = project()
    import nnlib
    assert p.version == nnlib.__version__
    for path in chapter_notebooks():
        cell = nbformat.read(path, as_version=4).cells[0]
        assert cell.source == colab_cell_source(p), path
        assert f'"nnlib[chapters] @ git+{p.repo_url}@v{p.version}"' in cell.source
        assert "remove-cell" in cell.metadata.get("tags", []), f"{path}: shown in the book"
        assert not cell.get("outputs"), f"{path}: the Colab cell printed something"
    learner = ROOT / "learner"
    for path in sorted(learner.glob("*.ipynb")):
        assert nbformat.read(path, as_version=4).cells[0].source == colab_cell_source(p)


# Top-level modules the chapters may import, and the distribution that provides each.
DISTRIBUTIONS = {"numpy": "numpy", "matplotlib": "matplotlib", "scipy": "scipy",
                 "sklearn": "scikit-learn", "matplotlib_fontja": "matplotlib-fontja",
                 "ipywidgets": "ipywidgets", "tqdm": "tqdm", "nnlib": "nnlib"}


def _requirements_of(extra: str, seen=None) -> set[str]:
    """Distribution names that `pip install nnlib[extra]` brings (nnlib's own extras expanded)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = {re.split(r"[<>=\[ ;]", d)[0] for d in pyproject["project"]["dependencies"]}
    for req in pyproject["project"]["optional-dependencies"][extra]:
        m = re.match(r"nnlib\[([a-z,]+)\]", req)
        if m:
            for sub in m.group(1).split(","):
                names |= _requirements_of(sub)
        else:
            names.add(re.split(r"[<>=\[ ;]", req)[0])
    return names


def test_the_chapters_extra_covers_every_import_of_every_chapter():
    import sys
    provided = _requirements_of("chapters") | {"nnlib"}
    for path in chapter_notebooks():
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        modules = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
        for module in modules - set(sys.stdlib_module_names) - {"__future__"}:
            assert module in DISTRIBUTIONS, f"{path.name} imports {module}: add it to the table"
            if module == "ipywidgets":
                continue            # optional: the demos fall back to a static figure
            assert DISTRIBUTIONS[module] in provided, (
                f"{path.name} imports {module}, which nnlib[chapters] does not install")


def test_readme_links_open_each_learner_chapter():
    text = (ROOT / "README.md").read_text()
    block = text[text.index(README_START):text.index(README_END)]
    p = project()
    for path in chapter_notebooks():
        if path.parent.name != "book":
            continue
        assert p.colab_url(f"learner/{path.name}") in block
        assert p.binder_url(f"learner/{path.name}") in block
        assert (ROOT / "learner" / path.name).exists()


OPTIONAL = {"matplotlib_fontja", "ipywidgets"}     # a chapter runs without them, with a note


def test_optional_extras_are_imported_through_optional_import():
    for path in chapter_notebooks():
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")
        for module in OPTIONAL:
            assert not re.search(rf"^\s*(import|from)\s+{module}\b", code, re.M), (
                f"{path.name} imports {module} directly: a learner without it gets a "
                f"traceback; use nnlib.course.notebook.optional_import")


def test_optional_import_says_in_one_line_what_is_lost(monkeypatch, capsys):
    import sys

    from nnlib.course.notebook import optional_import
    monkeypatch.setitem(sys.modules, "matplotlib_fontja", None)     # as if not installed
    assert optional_import("matplotlib_fontja", "the hiragana show as boxes",
                           "matplotlib-fontja") is None
    out = capsys.readouterr().out
    assert out == ("Note: matplotlib_fontja is not installed, so the hiragana show as boxes "
                   "(pip install matplotlib-fontja to get it).\n")
    assert optional_import("json", "nothing") is sys.modules["json"]
    assert capsys.readouterr().out == ""


def test_without_ipywidgets_the_demos_are_static_with_one_note(monkeypatch, capsys):
    import sys

    from nnlib.course import widgets
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.delenv("NNLIB_WIDGETS", raising=False)
    monkeypatch.setattr(widgets, "_in_jupyter_kernel", lambda: True)
    monkeypatch.setattr(widgets, "_NOTED", set())
    assert widgets.widgets_available() is False
    assert widgets.widgets_available() is False
    out = capsys.readouterr().out.splitlines()
    assert out == ["Note: ipywidgets is not installed, so the demos show a static figure "
                   "(pip install ipywidgets to get the sliders)."]
