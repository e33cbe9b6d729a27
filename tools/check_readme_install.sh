#!/usr/bin/env bash
# Run the README's install lines exactly as they are shown, each block in a fresh copy of the
# working tree (tracked and untracked, not ignored) with a fresh virtual environment, in a
# temporary folder; then check that what the README promises works:
#
#   <!-- readme-install:start -->             learner: jupyter lab and nbconvert answer, nnlib
#   ...                                       imports, the instructor tools start, `pip check`
#   <!-- readme-install:end -->
#   <!-- readme-launch:start -->              the launch line itself, run in the background: the
#   ...                                       server answers and lists the chapters, then stops
#   <!-- readme-launch:end -->
#   <!-- readme-install-instructor:start -->  instructor: the `instructor` extra alone runs
#   ...                                       python -m nnlib.course.instructor
#   <!-- readme-install-instructor:end -->
#
# Usage: tools/check_readme_install.sh [README.md]    (CI: .ci/run; about two minutes)
# Packages come from the registry pip is configured with; nothing outside the temp folder
# is written (Jupyter's config, data and runtime folders point into it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readme="$(cd "$(dirname "${1:-$root/README.md}")" && pwd)/$(basename "${1:-README.md}")"
start_all=$(date +%s)

# A clean environment: no active virtual environment, no stray Python settings.
if [[ -n "${VIRTUAL_ENV:-}" ]]; then
  PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$VIRTUAL_ENV/bin" | paste -sd: -)"
  unset VIRTUAL_ENV
fi
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PIP_REQUIRE_VIRTUALENV || true
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 MPLBACKEND=Agg TQDM_DISABLE=1

tmp="$(mktemp -d "${TMPDIR:-/tmp}/readme-install.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill -- "-$server_pid" 2>/dev/null || kill "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export JUPYTER_CONFIG_DIR="$tmp/jupyter/config" JUPYTER_DATA_DIR="$tmp/jupyter/data" \
  JUPYTER_RUNTIME_DIR="$tmp/jupyter/runtime" IPYTHONDIR="$tmp/ipython" MPLCONFIGDIR="$tmp/mpl"
mkdir -p "$JUPYTER_CONFIG_DIR"
# No browser; CI runs as root, which Jupyter refuses without allow_root.
echo '{"ServerApp": {"open_browser": false, "allow_root": true}}' \
  > "$JUPYTER_CONFIG_DIR/jupyter_server_config.json"

fail() { echo "check_readme_install: FAILED: $*" >&2; exit 1; }

# The shell lines of the fenced block between <!-- NAME:start --> and <!-- NAME:end -->.
block() {
  awk -v start="<!-- $1:start -->" -v end="<!-- $1:end -->" '
    index($0, start) { inside = 1; next }
    index($0, end)   { inside = 0; next }
    inside && /^```/ { fence = !fence; next }
    inside && fence && $0 !~ /^[[:space:]]*(#|$)/ { print }
  ' "$readme"
}

# A copy of the working tree as a fresh clone would have it (plus uncommitted changes).
copy_tree() {
  mkdir -p "$1"
  (cd "$root" && git ls-files -z --cached --others --exclude-standard \
     | while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done \
     | tar --null -T - -cf -) | tar -xf - -C "$1"
}

# Run a block's lines one by one in folder $2, echoing each, stopping at the first failure.
run_block() {
  local name=$1 dir=$2 lines line
  lines="$(block "$name")"
  [[ -n "$lines" ]] || fail "no shell lines between <!-- $name:start --> and <!-- $name:end --> in $readme"
  while IFS= read -r line; do
    echo "+ $line"
    if ! (cd "$dir" && bash -euo pipefail -c "$line") > "$tmp/line.log" 2>&1; then
      grep -v "is ignored: it is neither a file nor a directory" "$tmp/line.log" | tail -n 60 >&2
      fail "README line failed ($name): $line"
    fi
    tail -n 2 "$tmp/line.log" | cut -c1-200 | sed 's/^/  | /'
  done <<< "$lines"
}

step() { echo; echo "== $* ($(( $(date +%s) - start_all )) s)"; }

# --- The learner's install -------------------------------------------------------------
step "learner install (README: readme-install)"
learner="$tmp/learner"
copy_tree "$learner"
run_block readme-install "$learner"
bin="$learner/.venv/bin"
[[ -x "$bin/python" ]] || fail "the README's install lines made no .venv/bin/python"

step "checks in the learner's environment"
cd "$tmp"   # outside the copy: nnlib must come from the install, not the working directory
"$bin/jupyter" lab --version
"$bin/jupyter" nbconvert --version
"$bin/python" -c "import nnlib, sys; sys.exit(0 if nnlib.__file__.startswith('$learner/') else \
f'nnlib imported from {nnlib.__file__}, not from the install')"
"$bin/python" -c "import nnlib.course.plotting, nnlib.course.widgets, nnlib.datasets, sklearn, scipy"
"$bin/python" -m nnlib.course.instructor --help > /dev/null
(cd "$learner" && "$bin/python" -m nnlib.course.instructor list > /dev/null)
"$bin/jupyter" nbconvert --to html --output-dir "$tmp/html" "$learner/book/01_perceptron.ipynb" \
  --log-level=WARN
[[ -s "$tmp/html/01_perceptron.html" ]] || fail "nbconvert wrote no HTML"
"$bin/python" -m pip check
echo "ok: jupyter lab, jupyter nbconvert, import nnlib, python -m nnlib.course.instructor"

# --- The launch line ------------------------------------------------------------------
step "launch line (README: readme-launch), in the background"
launch="$(block readme-launch)"
[[ -n "$launch" && "$(wc -l <<< "$launch")" -eq 1 ]] || fail "expected one launch line, got: $launch"
echo "+ $launch"
port="$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="readme-check-$$"
(cd "$learner" && JUPYTER_PORT="$port" JUPYTER_PORT_RETRIES=0 JUPYTER_TOKEN="$token" BROWSER=true \
  exec setsid bash -c "exec $launch" > "$tmp/lab.log" 2>&1) &
server_pid=$!
"$bin/python" - "$port" "$token" "$server_pid" <<'EOF' || { cat "$tmp/lab.log" >&2; fail "jupyter lab did not serve the book"; }
import json, sys, time, urllib.request
port, token, pid = sys.argv[1:]
base = f"http://127.0.0.1:{port}"
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()
deadline = time.time() + 120
while True:
    try:
        status, _ = get("/api/status")
        break
    except OSError:
        try:
            with open(f"/proc/{pid}/stat") as f:
                alive = f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            alive = False
        if not alive:
            sys.exit("jupyter lab stopped before it answered")
        if time.time() > deadline:
            sys.exit("no answer from jupyter lab within 120 s")
        time.sleep(0.5)
status, page = get("/lab")
assert status == 200 and b"JupyterLab" in page, "the /lab page is not JupyterLab"
names = [item["name"] for item in json.loads(get("/api/contents")[1])["content"]]
assert "01_perceptron.ipynb" in names, f"the server's root is not book/: {names}"
specs = json.loads(get("/api/kernelspecs")[1])["kernelspecs"]
assert "python3" in specs, f"no python3 kernel: {sorted(specs)}"
print(f"ok: jupyter lab serves book/ ({len(names)} entries) with a python3 kernel")
EOF
kill -- "-$server_pid" 2>/dev/null || kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""

# --- The instructor's install ---------------------------------------------------------
step "instructor install (README: readme-install-instructor)"
instructor="$tmp/instructor"
copy_tree "$instructor"
run_block readme-install-instructor "$instructor"
ibin="$instructor/.venv/bin"
cd "$tmp"
"$ibin/python" -m nnlib.course.instructor --help > /dev/null
"$ibin/python" -c "import nbformat, nbclient, jupyter_client, ipykernel"
"$ibin/python" -m pip check
echo "ok: python -m nnlib.course.instructor with the instructor extra alone"

echo
echo "check_readme_install: all README install lines work ($(( $(date +%s) - start_all )) s)"
