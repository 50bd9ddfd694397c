#!/usr/bin/env bash
# shoehorn beside llama.cpp on the same llama.cpp-made files: llama-bench (pp128 and tg128, the
# best of its thread counts) and `shoehorn bench` (the same two tests, --threads 2), the two
# engines alternating within each round (which one goes first alternates too), each round's
# ratios printed as it ends and the medians of every file's ratios at the end. The machine is
# shared: compare within a round, and read the medians.
#
#   bench/versus-llamacpp.sh LLAMA_CPP_BIN [BUILD_DIR] [MODEL_DIR] | tee results.txt
#
# LLAMA_CPP_BIN holds llama-bench, llama-quantize and llama-convert-llama2c-to-ggml (a llama.cpp
# built beside the project; none of it is part of shoehorn). The files are what a user of
# llama.cpp makes: `shoehorn init` writes a random llama2.c checkpoint of the shape, llama.cpp's
# converter makes it an F32 GGUF with the Llama 2 vocabulary, llama-quantize each type.
# Environment: ROUNDS (3), RUNS (3: repetitions per test inside each engine), SHAPES
# ("stories15M stories110M"), TYPES ("Q8_0 Q4_0 Q4_K_M F16"), TINYLLAMA (1: add tinyllama-1.1b
# at Q4_K_M; its F32 intermediates take 9 GB of disk), THREADS (shoehorn's, 2), LLAMA_THREADS
# (llama-bench's -t, "1,2"). Needs python3 for the JSON.
set -euo pipefail
bin=$1
build=${2:-build}
models=${3:-/tmp/shoehorn-versus}
rounds=${ROUNDS:-3}
runs=${RUNS:-3}
shapes=${SHAPES:-stories15M stories110M}
types=${TYPES:-Q8_0 Q4_0 Q4_K_M F16}
threads=${THREADS:-2}
llama_threads=${LLAMA_THREADS:-1,2}
vocab=${VOCAB:-$(dirname "$0")/../../shared/models/llama2-tok32000.bin}
mkdir -p "$models"

# MODEL_DIR/SHAPE.TYPE.gguf, made once.
make_file() {
  local shape=$1 type=$2
  local f32="$models/$shape.F32.gguf" out="$models/$shape.$type.gguf"
  [ -f "$out" ] && return
  if [ ! -f "$f32" ]; then
    "$build/shoehorn" init --shape "$shape" -o "$models/$shape.bin" > /dev/null
    # llama.cpp's converter holds a model in one 2 GiB ggml context: TinyLlama's 4.4 GB of F32
    # does not fit ("not enough space in the context's memory pool"), so shoehorn writes that
    # F32 GGUF (the same weights and vocabulary); llama-quantize still makes every file compared.
    if ! "$bin/llama-convert-llama2c-to-ggml" --copy-vocab-from-model "$vocab" \
        --llama2c-model "$models/$shape.bin" --llama2c-output-model "$f32" > /dev/null 2>&1; then
      rm -f "$f32"
      "$build/shoehorn" convert "$models/$shape.bin" "$f32" -z "$vocab" > /dev/null
    fi
    rm -f "$models/$shape.bin"
  fi
  "$bin/llama-quantize" "$f32" "$out" "$type" > /dev/null 2>&1
}

files=()
for shape in $shapes; do
  for type in $types; do make_file "$shape" "$type"; files+=("$models/$shape.$type.gguf"); done
done
if [ "${TINYLLAMA:-1}" = 1 ]; then
  make_file tinyllama-1.1b Q4_K_M
  rm -f "$models/tinyllama-1.1b.F32.gguf"
  files+=("$models/tinyllama-1.1b.Q4_K_M.gguf")
fi

echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs;" \
     "flags: $(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx512_bf16|avx512_fp16|amx_int8|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
results=$(mktemp)
for round in $(seq "$rounds"); do
  echo "== round $round: $(uptime)"
  i=0
  for file in "${files[@]}"; do
    name=$(basename "$file" .gguf)
    order=$(( (round + i) % 2 ))  # who goes first alternates by round and by file
    i=$((i + 1))
    for turn in 0 1; do
      if [ $(( (turn + order) % 2 )) = 0 ]; then
        "$bin/llama-bench" -m "$file" -t "$llama_threads" -p 128 -n 128 -r "$runs" -o json 2> /dev/null |
          python3 -c '
import json, sys
rows = json.load(sys.stdin)
pp = max(r["avg_ts"] for r in rows if r["n_prompt"] > 0 and r["n_gen"] == 0)
tg = max(r["avg_ts"] for r in rows if r["n_gen"] > 0 and r["n_prompt"] == 0)
print(f"{sys.argv[1]}\t{sys.argv[2]}\tllama.cpp\t{pp:.2f}\t{tg:.2f}")' "$round" "$name" >> "$results"
      else
        "$build/shoehorn" bench "$file" --threads "$threads" -n 128 --prompt-tokens 128 \
            --runs "$runs" --json 2> /dev/null | tail -n 1 |
          python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
pp, tg = r["prefill_tok_s"], r["decode_tok_s"]
print(f"{sys.argv[1]}\t{sys.argv[2]}\tshoehorn\t{pp:.2f}\t{tg:.2f}")' "$round" "$name" >> "$results"
      fi
    done
  done
  python3 - "$results" "$round" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
this = [r for r in rows if r[0] == sys.argv[2]]
print(f"{'file':<28}{'llama.cpp pp128':>16}{'shoehorn pp128':>16}{'ratio':>7}{'llama.cpp tg128':>17}{'shoehorn tg128':>16}{'ratio':>7}")
for name in dict.fromkeys(r[1] for r in this):
    l = next(r for r in this if r[1] == name and r[2] == "llama.cpp")
    s = next(r for r in this if r[1] == name and r[2] == "shoehorn")
    print(f"{name:<28}{l[3]:>16}{s[3]:>16}{float(s[3]) / float(l[3]):>7.2f}{l[4]:>17}{s[4]:>16}{float(s[4]) / float(l[4]):>7.2f}")
EOF
done
echo "== medians of the per-round ratios (shoehorn / llama.cpp), $rounds rounds"
python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
print(f"{'file':<28}{'prefill':>9}{'decode':>9}   per round (prefill / decode)")
for name in dict.fromkeys(r[1] for r in rows):
    pp, tg = [], []
    for rnd in dict.fromkeys(r[0] for r in rows):
        l = next(r for r in rows if r[0] == rnd and r[1] == name and r[2] == "llama.cpp")
        s = next(r for r in rows if r[0] == rnd and r[1] == name and r[2] == "shoehorn")
        pp.append(float(s[3]) / float(l[3]))
        tg.append(float(s[4]) / float(l[4]))
    each = ", ".join(f"{p:.2f}/{t:.2f}" for p, t in zip(pp, tg))
    print(f"{name:<28}{statistics.median(pp):>9.2f}{statistics.median(tg):>9.2f}   {each}")
EOF
rm -f "$results"
