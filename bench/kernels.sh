#!/bin/sh
# Decode and prefill speed of random models of public shapes, per weight format, kernel path and
# thread count: the table of bench/README.md. One `shoehorn bench --json` line per setting
# (medians of RUNS runs of a 128-token prompt and 128 decoded tokens), as tab-separated rows.
#
#   bench/kernels.sh [BUILD_DIR] [MODEL_DIR] > results.tsv
#   SHAPES="stories15M" QUANTS="q8_0" RUNS=5 bench/kernels.sh
set -eu
build=${1:-build}
models=${2:-/tmp/shoehorn-bench}
shapes=${SHAPES:-"stories15M stories110M"}
quants=${QUANTS:-"f32 q8_0 q4_0"}
runs=${RUNS:-5}
mkdir -p "$models"

printf 'shape\tquant\tkernels\tthreads\tjson\n'
for shape in $shapes; do
  for quant in $quants; do
    model="$models/$shape-$quant.gguf"
    [ -f "$model" ] || "$build/shoehorn" init --shape "$shape" --quant "$quant" -o "$model" > /dev/null
    # F32 and F16 compute on the scalar path whatever is asked: measure it once.
    paths=$([ "$quant" = f32 ] && echo scalar || echo "scalar avx2 avx512")
    for kernels in $paths; do
      for threads in 1 2; do
        # A path this CPU lacks fails with a message: skip it.
        json=$("$build/shoehorn" bench "$model" --threads "$threads" --kernels "$kernels" \
                 -n 128 --prompt-tokens 128 --runs "$runs" --json 2> /dev/null | tail -n 1) || continue
        printf '%s\t%s\t%s\t%s\t%s\n' "$shape" "$quant" "$kernels" "$threads" "$json"
      done
    done
  done
done
