#!/usr/bin/env bash
# Scores a model (default: the bundled one) and stories260K on valid-776K.txt, whole and in
# eight consecutive slices of whole lines of about equal bytes (`eval --slices 8`), in one run,
# and prints both side by side: the measure of models/README.md.
# Usage: scripts/score-slices.sh [MODEL] [-- eval flags, e.g. --threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
model=models/shoehorn-default.gguf
if [ $# -gt 0 ] && [ "$1" != "--" ]; then model=$1; shift; fi
[ "${1:-}" = "--" ] && shift
data=../shared/data/tinystories/valid-776K.txt
ours=$(build/shoehorn eval "$model" --data "$data" --slices 8 "$@")
theirs=$(build/shoehorn eval ../shared/models/stories260K.bin -z ../shared/models/tok512.bin \
  --data "$data" --slices 8 "$@")
bpb() { sed -n "s/^$1: \([0-9.]*\).*/\1/p"; }
printf '%-10s %10s %12s %s\n' part "$(basename "$model")" stories260K better
for part in "bits per byte" "slice 1" "slice 2" "slice 3" "slice 4" "slice 5" "slice 6" "slice 7" "slice 8"; do
  a=$(bpb "$part" <<<"$ours"); b=$(bpb "$part" <<<"$theirs")
  [ "$part" = "bits per byte" ] && part=whole
  printf '%-10s %10s %12s %s\n' "$part" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print (a < b ? "yes" : "no") }')"
done
