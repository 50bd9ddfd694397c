#!/usr/bin/env bash
# Compile time and compiler peak memory of examples/compile-time/compile_time_story.cpp by the
# number of tokens generated at compile time, and of compile_time_ngram_story.cpp (its 256
# bytes), for g++ and clang++: the median of RUNS runs of /usr/bin/time -v over the exact
# compile command CMake uses. Prints a Markdown table.
#   scripts/bench-compile-time.sh            # TOKENS="0 8 16 32 36 64" RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"
tokens_list="${TOKENS:-0 8 16 32 36 64}"
build="${BUILD:-build-bench}"
prompt_tokens=5  # "Once upon a time" with BOS: steps = tokens + prompt_tokens - 1

cmake -G Ninja -B "$build" -DCMAKE_BUILD_TYPE=Release -DSHOEHORN_TESTS=OFF \
  -DSHOEHORN_STORY_MIN_TOKENS=0 > /dev/null
ninja -C "$build" shoehorn > /dev/null

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One compile under /usr/bin/time -v: "wall_seconds cpu_seconds peak_kib".
measure() {
  local log
  log="$(mktemp)"
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log"; exit 1; }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
    /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 }
    END { printf "%.2f %.2f %d\n", wall, user + sys, rss }' "$log"
  rm -f "$log"
}

# The compile command CMake uses for an example source, compiling to /dev/null.
compile_command() {
  python3 - "$build" "$1" <<'PY'
import json, sys
for entry in json.load(open(sys.argv[1] + "/compile_commands.json")):
    if entry["file"].endswith("/" + sys.argv[2]):
        print(entry["command"])
PY
}

# One table row per compiler: "| label | compiler | wall | CPU | RSS |" for compiling `source`.
bench_rows() {
  local label="$1" source="$2" command compiler cmd results wall cpu rss
  command="$(compile_command "$source")"
  for compiler in g++ clang++; do
    # The same flags; GCC-only warning switches are dropped for clang.
    cmd="$compiler ${command#* }"
    [ "$compiler" = clang++ ] && cmd="${cmd// -Wno-restrict/}"
    cmd="${cmd/ -o * -c / -o /dev/null -c }"
    results="$(for _ in $(seq "$runs"); do (cd "$build/examples/compile-time" && measure $cmd); done)"
    wall="$(cut -d' ' -f1 <<< "$results" | median)"
    cpu="$(cut -d' ' -f2 <<< "$results" | median)"
    rss="$(cut -d' ' -f3 <<< "$results" | median)"
    printf "| %s | %s | %.1f | %.1f | %d |\n" "$label" "$compiler $($compiler -dumpversion)" \
      "$wall" "$cpu" "$((rss / 1024))"
  done
}

echo "| tokens | compiler | wall s | CPU s (user+sys) | peak RSS MiB |"
echo "|---:|---|---:|---:|---:|"
for tokens in $tokens_list; do
  steps=$((tokens + prompt_tokens - 1))
  cmake -B "$build" -DSHOEHORN_STORY_STEPS="$steps" > /dev/null
  ninja -C "$build" examples/compile-time/baked/stories260K.hpp \
    examples/compile-time/generated/story_reference.hpp > /dev/null
  bench_rows "$tokens" compile_time_story.cpp
done
ninja -C "$build" examples/compile-time/baked/tinystories_ngram.hpp \
  examples/compile-time/generated/ngram_story_reference.hpp > /dev/null
bench_rows "n-gram, 256 bytes" compile_time_ngram_story.cpp
