#!/bin/bash
# Decode and prefill of shoehorn beside llama.cpp's llama-bench on the same Q8_0 GGUF files,
# alternating round by round (the machine is shared: compare within a round). The table of
# bench/README.md "Side by side with llama.cpp".
#
#   bench/versus-llamacpp.sh LLAMA_BENCH [BUILD_DIR] [MODEL_DIR] > results.txt
# The models are random stories15M / stories110M shapes with llama2's tokenizer inside (which
# llama.cpp needs): shoehorn init writes llama2.c checkpoints, shoehorn convert makes the GGUF.
set -eu
llama_bench=$1
build=${2:-build}
models=${3:-/tmp/shoehorn-bench}
tokenizer=${TOKENIZER:-../shared/models/llama2-tok32000.bin}
rounds=${ROUNDS:-3}
mkdir -p "$models"

for shape in stories15M stories110M; do
  gguf="$models/$shape-q8_0-tok.gguf"
  if [ ! -f "$gguf" ]; then
    "$build/shoehorn" init --shape "$shape" -o "$models/$shape.f32.bin" > /dev/null
    "$build/shoehorn" convert "$models/$shape.f32.bin" "$gguf" --quant q8_0 -z "$tokenizer" > /dev/null
  fi
done
for round in $(seq "$rounds"); do
  echo "== round $round: $(uptime)"
  for shape in stories15M stories110M; do
    gguf="$models/$shape-q8_0-tok.gguf"
    runs=$([ "$shape" = stories15M ] && echo 5 || echo 3)
    "$llama_bench" -m "$gguf" -t 1,2 -p 128 -n 128 -r "$runs" 2> /dev/null |
      grep -E 'pp128|tg128' | sed "s/^/llama.cpp $shape /"
    for threads in 1 2; do
      # Prefill of 128 tokens, then 128 decoded after them (positions 128-255).
      echo "shoehorn $shape $("$build/shoehorn" bench "$gguf" --threads "$threads" -n 128 \
        --prompt-tokens 128 --runs "$runs" --json 2> /dev/null | tail -n 1)"
      # Decode as llama-bench's tg128 runs it: from an empty context (positions 1-128).
      echo "shoehorn-tg $shape $("$build/shoehorn" bench "$gguf" --threads "$threads" -n 128 \
        --prompt-tokens 1 --runs "$runs" --json 2> /dev/null | tail -n 1)"
    done
  done
done
echo "== scalar path, same run: $(uptime)"
for shape in stories15M stories110M; do
  echo "shoehorn-scalar $shape $("$build/shoehorn" bench "$models/$shape-q8_0-tok.gguf" --threads 2 \
    --kernels scalar -n 128 --prompt-tokens 128 --runs 1 --json 2> /dev/null | tail -n 1)"
done
