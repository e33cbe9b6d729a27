"""Binder's build (binder/): the pins of a local install, the datasets fetched once at build.

repo2docker reads binder/ instead of the top-level files once the folder exists; it runs
``binder/postBuild`` once at the end of the image build and ``binder/start`` in front of every
session's command. These tests run both scripts here, with a stand-in ``python`` that records
its arguments instead of downloading: fast, no network.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def lines(path):
    return [ln.strip() for ln in path.read_text().splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def test_binder_files_exist_and_scripts_are_executable():
    for name in ("requirements.txt", "runtime.txt", "postBuild", "start"):
        assert (BINDER / name).is_file(), f"binder/{name} is missing"
    for name in ("postBuild", "start"):
        path = BINDER / name
        assert os.access(path, os.X_OK), f"binder/{name} is not executable (chmod +x)"
        assert path.read_text().startswith("#!/usr/bin/env bash\n"), f"binder/{name}: no shebang"


def test_binder_installs_what_a_local_install_does():
    # The top-level files are ignored once binder/ exists: binder/ must point at them.
    assert lines(BINDER / "requirements.txt") == ["-r ../requirements.txt", "-c ../constraints.txt"]
    assert (BINDER / "runtime.txt").read_text() == (ROOT / "runtime.txt").read_text()
    assert "-e ." in lines(ROOT / "requirements.txt"), "requirements.txt installs nnlib itself"


def test_start_execs_its_command():
    assert lines(BINDER / "start")[-1] == 'exec "$@"', "binder/start must end with exec \"$@\""


@pytest.fixture
def fake_repo(tmp_path):
    """A copy of binder/ in a folder of its own, and a `python` that logs its arguments."""
    repo = tmp_path / "repo"
    shutil.copytree(BINDER, repo / "binder")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "python-args"
    fake = bin_dir / "python"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > {shlex.quote(str(log))}\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NNLIB_DATA", None)
    return repo, env, log


def run_postbuild(repo, env, log):
    subprocess.run([str(repo / "binder" / "postBuild")], cwd=repo, env=env, check=True, timeout=30)
    return log.read_text().splitlines()


def session_env(repo, env):
    out = subprocess.run([str(repo / "binder" / "start"), "env"], cwd=repo, env=env, check=True,
                         capture_output=True, text=True, timeout=30).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_postbuild_downloads_into_the_folder_that_start_exports(fake_repo):
    repo, env, log = fake_repo
    args = run_postbuild(repo, env, log)
    assert args[:3] == ["-m", "nnlib.datasets", "download"], args
    assert "mnist" in args and "kmnist" in args, "both datasets are fetched at build"
    data_home = Path(args[args.index("--data-home") + 1])
    assert data_home == repo / "data", "the data goes inside the image, in the repository's data/"
    # start runs the session's command (here `env`) with NNLIB_DATA set to that folder.
    assert Path(session_env(repo, env)["NNLIB_DATA"]) == data_home
    # data/ is ignored by git and by the book, so it never gets committed or built.
    assert "/data/" in (ROOT / ".gitignore").read_text().splitlines()


def test_start_works_from_any_folder(fake_repo, tmp_path):
    repo, env, _ = fake_repo
    out = subprocess.run([str(repo / "binder" / "start"), "sh", "-c", 'echo "$NNLIB_DATA"'],
                         cwd=tmp_path, env=env, check=True, capture_output=True, text=True,
                         timeout=30).stdout.strip()
    assert Path(out) == repo / "data"


def test_the_download_command_accepts_postbuilds_options(fake_repo, monkeypatch):
    """The real command line parses what postBuild passes (argparse stops on anything else)."""
    repo, env, log = fake_repo
    args = run_postbuild(repo, env, log)
    help_text = subprocess.run([sys.executable, "-m", "nnlib.datasets", "download", "--help"],
                               cwd=ROOT, check=True, capture_output=True, text=True,
                               timeout=60).stdout
    for option in (a for a in args[3:] if a.startswith("--")):
        assert option in help_text, f"postBuild passes {option}, unknown to the download command"
    # The same arguments through the real parser, with the download itself replaced.
    from nnlib.datasets import __main__ as cli
    calls = []
    monkeypatch.setattr(cli, "download", lambda *a, **k: calls.append((a, k)) or 0)
    assert cli.main(args[2:]) == 0
    (datasets, data_home), options = calls[0]
    assert datasets == ["mnist", "kmnist"] and Path(data_home) == repo / "data"
    assert options["progress"] is False, "no progress bars in the build log"
