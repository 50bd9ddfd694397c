#!/usr/bin/env bash
# Trains the bundled model from scratch with fixed seeds: train-lowercase-4M.txt given back its
# letter case (learned from train-2M.txt) and marked into stories, a 1024-token vocabulary on
# both texts, then models/shoehorn-default.conf on both (one LibTorch thread), then copies the
# GGUF (tokenizer inside) to models/shoehorn-default.gguf and writes its Q8_0 and Q4_0 copies beside it.
# valid-776K.txt is never read.
# Needs a Release build with the trainer (build/shoehorn, build/shoehorn-train).
set -euo pipefail
cd "$(dirname "$0")/.."
run=out/default-model
data=../shared/data/tinystories

mkdir -p "$run"
build/shoehorn tokenizer truecase "$data/train-lowercase-4M.txt" --like "$data/train-2M.txt" \
  --mark-stories -o "$run/train-truecased-4M.txt"
build/shoehorn tokenizer train "$data/train-2M.txt" "$run/train-truecased-4M.txt" --vocab 1024 \
  --threads 1 -o "$run/tokenizer-1024.bin"
build/shoehorn train models/shoehorn-default.conf -o "$run"
cp "$run/model.gguf" models/shoehorn-default.gguf
for quant in q8_0 q4_0; do
  build/shoehorn convert models/shoehorn-default.gguf "models/shoehorn-default-$quant.gguf" --quant "$quant"
done
echo "wrote models/shoehorn-default.gguf, -q8_0.gguf and -q4_0.gguf"
