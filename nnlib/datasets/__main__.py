"""Command line: ``python -m nnlib.datasets download mnist kmnist [--data-home DIR]``.

Fetches and verifies the dataset files ahead of time, for instructors preparing a lab or
a Binder image. See ``python -m nnlib.datasets download --help``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .files import (
    FILES,
    FORMATS,
    DatasetNotFoundError,
    DownloadDirError,
    check_data_home,
    check_dataset,
    check_network_options,
    copy_verified,
    fetch_file,
    find_local,
)


def _formats(dataset: str, file_format: str) -> list[str]:
    if file_format == "all":
        return sorted(FORMATS[dataset])
    return [file_format] if file_format in FORMATS[dataset] else ["idx"]


def download(datasets, data_home=None, *, file_format: str = "idx", mirrors=None,
             progress: bool = True, timeout: float = 30.0, retries: int = 3,
             backoff: float = 1.0, out=None) -> int:
    """Make sure every file of ``datasets`` is on disk and verified; return an exit code.

    With ``data_home`` the files end up in ``<data_home>/<dataset>/`` (copied from another
    search folder when a verified copy exists there, else downloaded); without it, a file
    already found in ``NNLIB_DATA`` or the cache is left where it is. ``datasets`` is a
    name or a list of names; ``file_format`` is ``"idx"``, ``"npz"`` or ``"all"`` (MNIST
    has only IDX files, which are fetched whatever the format). Every argument is checked
    before anything is fetched; a folder that cannot be written stops at once.
    """
    out = sys.stdout if out is None else out
    if isinstance(datasets, str):
        datasets = [datasets]
    if not isinstance(datasets, (list, tuple)) or not datasets:
        raise TypeError("datasets must be a dataset name or a non-empty list of names "
                        f"from {sorted(FILES)}, got {datasets!r}")
    datasets = [check_dataset(d) for d in datasets]
    if file_format not in ("idx", "npz", "all"):
        raise ValueError(f"unknown file_format {file_format!r}; expected 'idx', 'npz' or 'all'")
    data_home = check_data_home(data_home)
    net = check_network_options(mirrors, progress, timeout, retries, backoff)
    failed = 0
    for dataset in datasets:
        for fmt in _formats(dataset, file_format):
            for name in FORMATS[dataset][fmt]:
                try:
                    path = None
                    if data_home is not None:
                        dest = Path(data_home).expanduser() / dataset / name
                        found = find_local(dataset, name, data_home)
                        if found is not None and found != dest:
                            copy_verified(found, dest, FILES[dataset][name].sha256)
                            found = dest
                        path = found
                    if path is None:
                        path = fetch_file(dataset, name, data_home, **net)
                    print(f"ok      {dataset}/{name}  {path}", file=out)
                except DownloadDirError as exc:  # the same for every file: stop now
                    print(f"FAILED  {dataset}/{name}\n{exc}", file=sys.stderr)
                    return 1
                except (DatasetNotFoundError, OSError) as exc:
                    failed += 1
                    print(f"FAILED  {dataset}/{name}\n{exc}\n", file=sys.stderr)
    if failed:
        print(f"{failed} file(s) could not be fetched.", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nnlib.datasets",
        description="Fetch and verify (SHA-256) the MNIST and Kuzushiji-MNIST files.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("download", help="download and verify dataset files ahead of time")
    p.add_argument("datasets", nargs="+", choices=sorted(FILES), metavar="DATASET",
                   help="mnist and/or kmnist")
    p.add_argument("--data-home", metavar="DIR",
                   help="put the files in DIR/<dataset>/ (default: the per-user cache)")
    p.add_argument("--format", dest="file_format", choices=("idx", "npz", "all"),
                   default="idx", help="KMNIST file format to fetch (default: idx)")
    p.add_argument("--mirror", action="append", metavar="URL",
                   help="a folder URL laid out like the data folder, replacing the built-in "
                        "mirrors (repeatable; NNLIB_MIRRORS does the same)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument("--retries", type=int, default=3, help="per mirror (default 3)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    return download(args.datasets, args.data_home, file_format=args.file_format,
                    mirrors=args.mirror, progress=not args.no_progress,
                    timeout=args.timeout, retries=args.retries)


if __name__ == "__main__":
    raise SystemExit(main())
