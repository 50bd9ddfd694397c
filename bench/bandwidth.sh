#!/usr/bin/env bash
# Memory read bandwidth with 1 and 2 threads, and decode as a share of the bound it sets (the
# weights' bytes per token over the bandwidth), for each model given. Rounds alternate the
# thread counts; the medians of every round are printed at the end.
#
#   bench/bandwidth.sh [BUILD_DIR] [MODEL.gguf ...] | tee results.txt
#
# Environment: ROUNDS (3), RUNS (5: repetitions inside each measurement). Needs python3.
# A model smaller than the last-level cache can decode faster than the bound: its weights are
# then read from the cache, not from memory (the share is over 100%).
set -euo pipefail
build=${1:-build}
shift || true
rounds=${ROUNDS:-3}
runs=${RUNS:-5}
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs," \
     "last-level cache $(lscpu | sed -n 's/^L3 cache: *//p')"
results=$(mktemp)
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    "$build/shoehorn" bench --bandwidth --threads "$threads" --runs "$runs" --json 2> /dev/null | tail -n 1 |
      python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("%s\tbandwidth\t%d\t%.2f" % (sys.argv[1], r["threads"], r["bandwidth_bytes_s"] / 1e9))' \
        "$round" >> "$results"
    for model in "$@"; do
      "$build/shoehorn" bench "$model" --bandwidth --threads "$threads" --runs "$runs" --prompt-tokens 1 \
          -n 128 --json 2> /dev/null | tail -n 1 |
        python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
share = r["decode_tok_s"] / r["decode_bound_tok_s"]
print("%s\t%s\t%d\t%.1f tok/s, bound %.1f: %.0f%%" % (sys.argv[1], sys.argv[2], r["threads"], r["decode_tok_s"], r["decode_bound_tok_s"], 100 * share))' \
          "$round" "$(basename "$model" .gguf)" >> "$results"
    done
  done
  echo "== round $round"; awk -F'\t' -v r="$round" '$1 == r { print "  " $2 ", " $3 " thread(s): " $4 }' "$results"
done
echo "== medians over $rounds rounds"
python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, what, threads, value = line.rstrip("\n").split("\t")
    number = float(re.findall(r"[0-9.]+", value)[0]) if what == "bandwidth" else float(re.findall(r"([0-9]+)%", value)[0])
    rows.setdefault((what, threads), []).append(number)
for (what, threads), values in rows.items():
    unit = "GB/s" if what == "bandwidth" else "% of the bound"
    print(f"  {what}, {threads} thread(s): {statistics.median(values):.2f} {unit}")
PY
rm -f "$results"
