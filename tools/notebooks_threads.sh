#!/usr/bin/env bash
# The chapters must pass on any machine: BLAS builds and thread counts round matrix products
# differently. This runs `make notebooks` (nbval: every cell re-run, outputs compared) with
# OpenBLAS limited to 1 thread and then to 2, and prints one line per run:
#   tools/notebooks_threads.sh            # both
#   tools/notebooks_threads.sh 1          # only 1 thread
# Only OPENBLAS_NUM_THREADS is set; the machine's other OpenBLAS variables are left alone.
set -uo pipefail
cd "$(dirname "$0")/.."
threads=("${@:-1 2}")
status=0
summary=()
for n in ${threads[*]}; do
  log="_build/notebooks-threads-$n.log"
  mkdir -p _build
  start=$(date +%s)
  OPENBLAS_NUM_THREADS=$n make notebooks > "$log" 2>&1
  rc=$?
  result=$(grep -E "^(=+ )?[0-9]+ (passed|failed)" "$log" | tail -1)
  summary+=("OPENBLAS_NUM_THREADS=$n: exit $rc, $(( $(date +%s) - start )) s: $result (log: $log)")
  [ $rc -eq 0 ] || status=1
done
printf '%s\n' "${summary[@]}"
exit $status
