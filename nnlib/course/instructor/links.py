"""The repository URL and the version, written from one place into every file that names them.

The URL lives in ``_config.yml`` (``repository.url``, which Jupyter Book's launch buttons
read), the version in ``nnlib/__init__.py`` (``__version__``, which pyproject reads too); a
release is the tag ``v<version>``. From them this module writes

* the **Colab cell**, the first cell of every chapter (and of the chapter template): on
  Colab it installs the tagged release of nnlib with the ``chapters`` extra, which holds
  everything a chapter imports (fonts included); elsewhere it does nothing;
* the **README's links** (between ``<!-- readme-links:start -->`` and ``end``): each
  chapter's learner edition on Colab and on Binder, and the pinned install line;
* ``version`` and ``repository-code`` in ``CITATION.cff``.

``python -m nnlib.course.instructor links`` rewrites what is out of date (``make links``,
which ``make learner`` runs first); ``--check`` only reports it, and a test fails when
anything is stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parents[3]

COLAB_TAG = "remove-cell"          # hidden in the book
README_START, README_END = "<!-- readme-links:start -->", "<!-- readme-links:end -->"


@dataclass(frozen=True)
class Project:
    repo_url: str          # https://github.com/ORG/NAME, no trailing slash
    branch: str
    version: str           # X.Y.Z

    @property
    def tag(self) -> str:
        return f"v{self.version}"

    @property
    def org_name(self) -> str:
        return "/".join(self.repo_url.split("/")[-2:])

    def pip_spec(self, extra: str) -> str:
        return f"nnlib[{extra}] @ git+{self.repo_url}@{self.tag}"

    def colab_url(self, path: str) -> str:
        return f"https://colab.research.google.com/github/{self.org_name}/blob/{self.branch}/{path}"

    def binder_url(self, path: str) -> str:
        return (f"https://mybinder.org/v2/gh/{self.org_name}/{self.branch}"
                f"?urlpath=lab/tree/{path}")


def project(root: Path = REPO_ROOT) -> Project:
    """The URL and branch of ``_config.yml`` and the version of ``nnlib/__init__.py``."""
    import yaml

    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    init = (root / "nnlib" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "(\d+\.\d+\.\d+)"$', init, re.M)
    if found is None:
        raise ValueError("nnlib/__init__.py has no line __version__ = \"X.Y.Z\"")
    return Project(repo_url=cfg["repository"]["url"].rstrip("/"),
                   branch=cfg["repository"].get("branch", "main"), version=found.group(1))


def colab_cell_source(p: Project) -> str:
    return (
        f"# Colab only: install nnlib {p.tag} with everything this chapter imports. Elsewhere\n"
        "# this cell does nothing. (Hidden in the book; written by `make links`.)\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "{p.pip_spec("chapters")}"')


def _is_colab_cell(cell) -> bool:
    return cell.cell_type == "code" and "google.colab" in cell.source


def chapter_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """The chapters in ``_toc.yml`` order, then the chapter template."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    chapters = [root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").exists()]
    template = root / "templates" / "chapter_template.ipynb"
    return chapters + ([template] if template.exists() else [])


def _title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^# (.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return path.stem


def readme_block(p: Project, root: Path = REPO_ROOT) -> str:
    rows = []
    for k, path in enumerate((c for c in chapter_notebooks(root) if c.parent.name == "book"),
                             1):
        learner = f"learner/{path.name}"
        rows.append(f"| {k}. {_title(path)} | [Colab]({p.colab_url(learner)}) | "
                    f"[Binder]({p.binder_url(learner)}) |")
    return "\n".join([
        README_START,
        f"Each chapter's learner edition (exercises unsolved; release {p.tag}):",
        "",
        "| Chapter | Colab | Binder |",
        "|---|---|---|",
        *rows,
        "",
        f"Without a clone, the release with what the chapters import: "
        f'`pip install "{p.pip_spec("chapters")}"`.',
        README_END])


def _sync_text(path: Path, new: str, check: bool) -> bool:
    old = path.read_text(encoding="utf-8")
    if old == new:
        return False
    if not check:
        path.write_text(new, encoding="utf-8")
    return True


def sync(root: Path = REPO_ROOT, check: bool = False) -> list[str]:
    """Write the URL and version everywhere they appear; return the files that were (with
    ``check``: that would be) changed, relative to ``root``."""
    p = project(root)
    changed = []
    source = colab_cell_source(p)
    for path in chapter_notebooks(root):
        nb = nbformat.read(path, as_version=4)
        cell = nb.cells[0] if nb.cells else None
        if cell is None or not _is_colab_cell(cell):
            raise ValueError(f"{path.relative_to(root)}: the first cell is not the Colab cell "
                             "(a code cell naming google.colab)")
        tags = cell.metadata.setdefault("tags", [])
        if cell.source != source or COLAB_TAG not in tags:
            changed.append(str(path.relative_to(root)))
            if not check:
                cell.source = source
                tags.append(COLAB_TAG) if COLAB_TAG not in tags else None
                nbformat.write(nb, path)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise ValueError(f"README.md needs one {README_START} ... {README_END} block")
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    if _sync_text(readme, text[:start] + readme_block(p, root) + text[end:], check):
        changed.append("README.md")
    cff = root / "CITATION.cff"
    text = cff.read_text(encoding="utf-8")
    new = re.sub(r'^version: .*$', f'version: "{p.version}"', text, count=1, flags=re.M)
    new = re.sub(r'^repository-code: .*$', f'repository-code: "{p.repo_url}"', new, count=1,
                 flags=re.M)
    if _sync_text(cff, new, check):
        changed.append("CITATION.cff")
    return changed
