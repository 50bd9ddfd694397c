#!/usr/bin/env bash
# Trains the bundled model from scratch, deterministically (fixed seeds, one thread): a
# 1024-token vocabulary on ../shared/data/tinystories/train-2M.txt, then models/shoehorn-default.conf
# on the same text, then copies the GGUF (tokenizer inside) to models/shoehorn-default.gguf.
# Needs a Release build with the trainer (build/shoehorn, build/shoehorn-train).
set -euo pipefail
cd "$(dirname "$0")/.."
run=out/default-model

mkdir -p "$run"
build/shoehorn tokenizer train ../shared/data/tinystories/train-2M.txt --vocab 1024 --threads 1 \
  -o "$run/tokenizer-1024.bin"
build/shoehorn train models/shoehorn-default.conf -o "$run"
cp "$run/model.gguf" models/shoehorn-default.gguf
echo "wrote models/shoehorn-default.gguf"
