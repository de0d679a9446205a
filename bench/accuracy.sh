#!/usr/bin/env bash
# make accuracy: the real-data table of bench/RESULTS.md. 5-fold cross-validation of the
# default recipe on each real set in ../shared/data (rtk-sample as asphalt + paved against
# unpaved, as its README says), then the markdown table (accuracy_table.py).
# usage: bench/accuracy.sh BIN_DIR DATA_DIR OUT_DIR
set -euo pipefail
bin=$1 data=$2 out=$3
for set in surface-crops asphalt-quality rtk-sample; do
  [[ -d $data/$set ]] || { echo "accuracy: $data/$set is missing (the real data sets live in ../shared/data)" >&2; exit 1; }
done
mkdir -p "$out"
# rtk-sample's paved/ holds copies of asphalt frames: asphalt/ and paved/ together are "asphalt".
rtk2=$out/rtk-sample-2class
rm -rf "$rtk2"
mkdir -p "$rtk2/asphalt" "$rtk2/unpaved"
for f in "$data"/rtk-sample/asphalt/*; do ln -s "$(realpath "$f")" "$rtk2/asphalt/a_$(basename "$f")"; done
for f in "$data"/rtk-sample/paved/*; do ln -s "$(realpath "$f")" "$rtk2/asphalt/p_$(basename "$f")"; done
for f in "$data"/rtk-sample/unpaved/*; do ln -s "$(realpath "$f")" "$rtk2/unpaved/$(basename "$f")"; done

run() {  # name data flags...
  local name=$1 set=$2
  shift 2
  echo "== $name: tarmac-eval --cv 5 --data $set $*"
  "$bin/tarmac-eval" --cv 5 --data "$set" --json "$@" > "$out/$name.json"
}
start=$(date +%s)
run surface-crops "$data/surface-crops" --roi full
# The bottom 40% of the frame, its middle 70% across: the road just ahead of these cameras
# (0.637 +- 0.145 against 0.558 +- 0.072 with the RTK rule; bench/RESULTS.md).
run asphalt-quality "$data/asphalt-quality" --roi 0.6:1,0.15:0.85
run rtk-sample "$rtk2"
python3 "$(dirname "$0")/accuracy_table.py" \
  "surface-crops=$out/surface-crops.json:0.85" \
  "asphalt-quality (--roi 0.6:1,0.15:0.85)=$out/asphalt-quality.json:0.80" \
  "rtk-sample (asphalt + paved vs unpaved)=$out/rtk-sample.json:0.95:unpaved>=0.95" | tee "$out/table.md"
echo "accuracy: $(( $(date +%s) - start )) s; table in $out/table.md"
