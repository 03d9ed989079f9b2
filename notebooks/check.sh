#!/usr/bin/env bash
# Run every notebook top to bottom, headless, against a fresh run of the
# sample data; fail if a cell fails, if a notebook is committed with outputs,
# or if the tags file notebook 03 writes is not one `run --labels` accepts.
# Installs notebooks/requirements.txt into a virtualenv of its own (kept in
# ~/.cache between runs; set NOTEBOOK_VENV to put it elsewhere).
#
#   bash notebooks/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alertsift-target}"
venv="${NOTEBOOK_VENV:-$HOME/.cache/alertsift-notebooks-venv}"
if ! cmp -s notebooks/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt
  cp notebooks/requirements.txt "$venv/requirements.txt"
fi

# Outputs are cleared in the repository.
"$venv/bin/python" - notebooks/*.ipynb <<'PY'
import json, sys
bad = []
for path in sys.argv[1:]:
    for i, cell in enumerate(json.load(open(path))["cells"]):
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            bad.append(f"{path}: cell {i} has outputs")
if bad:
    sys.exit("notebooks must be committed with outputs cleared:\n  " + "\n  ".join(bad))
PY

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/alertsift"
"$bin" run sample-data --out "$tmp/run" --quiet
for nb in notebooks/*.ipynb; do
  echo "notebook $nb"
  ALERTSIFT_OUT="$tmp/run" ALERTSIFT_TAGS="$tmp/tags.csv" MPLBACKEND=Agg \
    "$venv/bin/jupyter" nbconvert --to notebook --execute --log-level WARN \
    --ExecutePreprocessor.timeout=300 --output-dir "$tmp/executed" "$nb"
done
# The tags notebook 03 wrote feed the next run.
"$bin" run sample-data --out "$tmp/tagged" --labels "$tmp/tags.csv" --quiet
echo "notebooks: all ran clean"
