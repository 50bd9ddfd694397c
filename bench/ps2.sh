#!/usr/bin/env bash
# The PS2-mode numbers in docs/TARGETS.md. Random-weight models of public shapes (written here,
# never committed): stories110M at Q8_0 within 32 MiB and TinyLlama-1.1B at Q4_0 within 64 MiB,
# peak RSS of the whole process by /usr/bin/time and tokens against the resident run; decode
# speed streamed (warm page cache, and dropping it) against resident, medians of RUNS runs in
# this one script; emulated 24x CD-ROM reads against the I/O bound that `plan` predicts.
# The machine may be shared: compare ratios, not absolute speeds.
#   bench/ps2.sh [BUILD_DIR] [OUT_DIR]        RUNS=5 THREADS=2
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
out="${2:-/tmp/shoehorn-ps2}"
shared="${SHOEHORN_SHARED:-$(pwd)/../shared}"
tok="$shared/models/llama2-tok32000.bin"
shoehorn="$build/shoehorn"
runs="${RUNS:-5}"
threads="${THREADS:-2}"
mkdir -p "$out"
[ -f "$out/s110.gguf" ] || "$shoehorn" init --shape stories110M --quant q8_0 -o "$out/s110.gguf"
[ -f "$out/tl.gguf" ] || "$shoehorn" init --shape tinyllama-1.1b --quant q4_0 -o "$out/tl.gguf"

# run MODEL NAME ARGS...: text to $out/NAME.txt, peak RSS (KiB, /usr/bin/time) to $out/NAME.kib
run() {
  local model="$1" name="$2"; shift 2
  /usr/bin/time -f %M -o "$out/$name.kib" "$shoehorn" run "$model" -z "$tok" -t 0 -i "Once upon a time" \
    --threads "$threads" "$@" > "$out/$name.txt" 2> "$out/$name.err"
}

echo "| model | budget | -n | resident peak RSS | budgeted peak RSS | tokens identical |"
echo "|---|---|---|---|---|---|"
for spec in "s110 32M 256" "tl 64M 32"; do
  read -r model budget n <<< "$spec"
  run "$out/$model.gguf" "$model-resident" -n "$n"
  run "$out/$model.gguf" "$model-budget" -n "$n" --mem-budget "$budget"
  same=no; cmp -s "$out/$model-resident.txt" "$out/$model-budget.txt" && same=yes
  printf '| %s | %s | %s | %.1f MiB | %.1f MiB | %s |\n' "$model" "$budget" "$n" \
    "$(awk '{print $1 / 1024}' "$out/$model-resident.kib")" \
    "$(awk '{print $1 / 1024}' "$out/$model-budget.kib")" "$same"
done

decode() { "$shoehorn" bench "$out/s110.gguf" --json --runs "$runs" --threads "$threads" "$@" 2> "$out/bench.err" |
           tail -1 | sed -n 's/.*"decode_tok_s": \([0-9.]*\).*/\1/p'; }
echo
echo "decode tok/s, stories110M Q8_0, 128 prompt + 128 decoded positions, medians of $runs runs, $threads threads:"
resident="$(decode)"
# Warm means read once through readahead: the kernel then holds the file in large folios, which
# copy about twice as fast here as the 4 KiB pages a file keeps in the cache from being written.
dd if="$out/s110.gguf" iflag=nocache count=0 status=none
cat "$out/s110.gguf" > /dev/null
warm="$(decode --mem-budget 32M --keep-page-cache)"
dropped="$(decode --mem-budget 32M)"
printf '  resident %.2f | 32M warm page cache %.2f (%.0f%%) | 32M dropping the page cache %.2f (%.0f%%)\n' \
  "$resident" "$warm" "$(awk "BEGIN {print 100 * $warm / $resident}")" \
  "$dropped" "$(awk "BEGIN {print 100 * $dropped / $resident}")"
echo "  page-cache copy rate (dd, warm): $(dd if="$out/s110.gguf" of=/dev/null bs=1M 2>&1 | tail -1 | sed 's/.*, //')"

echo
echo "24x CD-ROM (--read-speed 3.6M), 32M, 1 prompt + 3 decoded positions:"
"$shoehorn" plan "$out/s110.gguf" --mem-budget 32M --read-speed 3.6M -n 4 | grep -E "bytes read per token|predicted"
"$shoehorn" bench "$out/s110.gguf" --mem-budget 32M --read-speed 3.6M --runs 1 --prompt-tokens 1 -n 3 \
  --threads "$threads" 2>&1 | grep -E "decode|I/O bound"
