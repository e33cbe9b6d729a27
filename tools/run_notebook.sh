#!/usr/bin/env bash
# Execute notebooks top to bottom, in place, exactly as they are committed and tested:
#   tools/run_notebook.sh book/02_two_layer_circles.ipynb [more.ipynb ...]
# 1. a fresh kernel runs every cell in order (execution counts 1, 2, 3, ...), with the
#    settings of `make notebooks`: static widgets, no progress bars, inline figures;
# 2. `nbstripout --keep-output --keep-count` removes run metadata (timings, widget state)
#    but keeps outputs and counts, which the book shows and nbval compares.
# Commit the result. Never strip outputs: the book is built from them (execute_notebooks: off).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
if [ "$#" -eq 0 ]; then
  echo "usage: $0 NOTEBOOK.ipynb [...]" >&2
  exit 2
fi
export NNLIB_WIDGETS=static TQDM_DISABLE=1 PYTHONHASHSEED=0
export MPLBACKEND=module://matplotlib_inline.backend_inline
for nb in "$@"; do
  echo "executing $nb"
  start=$(date +%s)
  # nbclient's `jupyter execute` (the engine of nbconvert), in the notebook's folder.
  "$BIN/jupyter" execute --inplace --timeout=1200 --kernel_name=python3 "$nb"
  "$BIN/nbstripout" --keep-output --keep-count "$nb"
  echo "  done in $(( $(date +%s) - start )) s"
done
