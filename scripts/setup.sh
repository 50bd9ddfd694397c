#!/usr/bin/env bash
# One command from a fresh Debian bookworm machine to generated text: installs the packages,
# builds shoehorn (Release) and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build

# The bundled model (models/shoehorn-default.gguf, its tokenizer inside): no MODEL, no -z.
build/shoehorn run -i "Once upon a time" -t 0.8 -p 0.9 -s 42 -n 256
