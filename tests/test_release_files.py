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

import pytest

yaml = pytest.importorskip("yaml")
tomllib = pytest.importorskip("tomllib")   # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)


def pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


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
