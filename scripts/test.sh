#!/usr/bin/env bash
# The whole test suite, as CI runs it: native, ASan+UBSan, big-endian PowerPC 64 (VMX), AArch64
# (NEON) and 32-bit MIPS under qemu, the bare-metal ARM board (32 MiB, no operating system)
# under qemu-system-arm, and every fuzz target over its corpus for a short while.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
fuzz_seconds="${SHOEHORN_FUZZ_SECONDS:-5}"
# The five model and tokenizer file parsers, whose fuzzers also check every rejection's message
# (file, field, offset), get longer.
parser_fuzzers=" gguf llama2c tokenizer_bin pack ngram "
parser_fuzz_seconds="${SHOEHORN_PARSER_FUZZ_SECONDS:-30}"

started="$(date +%s)"
step() { printf '\n=== %s (at %ss) ===\n' "$*" "$(( $(date +%s) - started ))"; }

# The number of tests ctest lists in a build against tests/expected-test-counts.txt, so that a
# test binary left out (or a test no longer discovered) fails CI instead of shrinking it.
counts_differ=0
check_test_count() {
  local dir="$1" build="$2" expected actual
  expected="$(awk -v b="$build" '$1 == b { print $2 }' tests/expected-test-counts.txt)"
  actual="$(ctest --test-dir "$dir" -N | sed -n 's/^Total Tests: //p')"
  if [ -z "$expected" ] || [ "$actual" != "$expected" ]; then
    echo "$dir: ctest lists ${actual:-no} tests, tests/expected-test-counts.txt expects ${expected:-none} ('$build')" >&2
    # The tests still run (every count of a run is learnt at once); the script fails at its end.
    counts_differ=1
    return
  fi
  echo "$dir: $actual tests, as tests/expected-test-counts.txt expects"
}

step "dependencies"
scripts/deps.sh

step "native build and tests"
cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release -DSHOEHORN_WERROR=ON -DSHOEHORN_REQUIRE_ALL=ON
cmake --build build
check_test_count build native
ctest --test-dir build -j "$jobs" --output-on-failure

step "ASan + UBSan build and tests"
# -O1 as the sanitizers' documentation advises (assertions stay on). Warnings are errors in the
# native build; here GCC 12 at -O1 gives false maybe-uninitialized warnings inside std::regex.
# The LibTorch trainer is left out: its formats are shoehorn_core code, tested here; its
# LibTorch half is tested natively. Each test's timeout is 4 times its native one here, 8 times
# under qemu below (SHOEHORN_TEST_TIME_SCALE, cmake/ShoehornTestTimeout.cmake).
cmake -G Ninja -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DSHOEHORN_SANITIZE=ON -DSHOEHORN_TRAINER=OFF -DSHOEHORN_EXAMPLES=OFF -DSHOEHORN_REQUIRE_ALL=ON
cmake --build build-asan
check_test_count build-asan asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j "$jobs" --output-on-failure

step "big-endian PowerPC 64 build and tests under qemu"
# The compile-time examples are built and run by the native (GCC) build; ctime_test runs the
# baked engine here too. No LibTorch or libsentencepiece for the target: the trainer is off and
# the tokenizer tools are not built (what it must have, cc65 and Node for the NES tests, is
# required).
cmake -G Ninja -B build-ppc64 -DCMAKE_BUILD_TYPE=Release -DSHOEHORN_WERROR=ON -DSHOEHORN_EXAMPLES=OFF \
  -DSHOEHORN_TRAINER=OFF -DSHOEHORN_REQUIRE_ALL=ON -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/ppc64-be.cmake
cmake --build build-ppc64
check_test_count build-ppc64 ppc64
ctest --test-dir build-ppc64 -j "$jobs" --output-on-failure

step "AArch64 build and tests under qemu"
cmake -G Ninja -B build-aarch64 -DCMAKE_BUILD_TYPE=Release -DSHOEHORN_WERROR=ON -DSHOEHORN_EXAMPLES=OFF \
  -DSHOEHORN_TRAINER=OFF -DSHOEHORN_REQUIRE_ALL=ON -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64.cmake
cmake --build build-aarch64
check_test_count build-aarch64 aarch64
ctest --test-dir build-aarch64 -j "$jobs" --output-on-failure

step "32-bit MIPS build and tests under qemu"
cmake -G Ninja -B build-mipsel -DCMAKE_BUILD_TYPE=Release -DSHOEHORN_WERROR=ON -DSHOEHORN_EXAMPLES=OFF \
  -DSHOEHORN_TRAINER=OFF -DSHOEHORN_REQUIRE_ALL=ON -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mipsel.cmake
cmake --build build-mipsel
check_test_count build-mipsel mipsel
ctest --test-dir build-mipsel -j "$jobs" --output-on-failure

step "bare-metal ARM board (32 MiB, no operating system) under qemu-system-arm"
# The native build's shoehorn writes the model the board streams, and its tokens.
cmake -G Ninja -B build-arm -DCMAKE_BUILD_TYPE=Release -DSHOEHORN_WERROR=ON -DSHOEHORN_REQUIRE_ALL=ON \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi.cmake -DSHOEHORN_HOST_SHOEHORN="$PWD/build/shoehorn"
cmake --build build-arm
check_test_count build-arm baremetal
ctest --test-dir build-arm -j "$jobs" --output-on-failure

step "fuzz targets (${parser_fuzz_seconds}s for each file parser, ${fuzz_seconds}s for the others)"
CXX=clang++ cmake -G Ninja -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSHOEHORN_FUZZ=ON -DSHOEHORN_SANITIZE=ON -DSHOEHORN_TESTS=OFF -DSHOEHORN_TRAINER=OFF
# Only the fuzzers (they link shoehorn_core alone): the CLI compiled again by Clang would cost
# minutes of CI's 25.
fuzzers=()
for corpus in fuzz/corpus/*/; do fuzzers+=("fuzz_$(basename "$corpus")"); done
cmake --build build-fuzz --target "${fuzzers[@]}"
for corpus in fuzz/corpus/*/; do
  name="$(basename "$corpus")"
  work="build-fuzz/corpus-$name"
  mkdir -p "$work"
  seconds="$fuzz_seconds"
  case "$parser_fuzzers" in *" $name "*) seconds="$parser_fuzz_seconds" ;; esac
  # New inputs go to the build tree; the committed corpus stays as it is.
  "build-fuzz/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 "$work" "$corpus" 2>&1 | tail -n 12
done

if [ "$counts_differ" -ne 0 ]; then
  echo "a build's test count differs from tests/expected-test-counts.txt (above)" >&2
  exit 1
fi
step "all tests passed"
