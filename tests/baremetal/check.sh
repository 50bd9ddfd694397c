#!/usr/bin/env bash
# The bare-metal program on its board, checked from the outside (SHOEHORN_BAREMETAL_ELF names it):
#   check.sh reference EXPECTED ARGS...  stdout is EXPECTED byte for byte
#   check.sh host SHOEHORN WORK          a random stories110M-shape Q8_0 GGUF from `SHOEHORN init`
#                                        streams through the 32 MiB with `SHOEHORN run`'s tokens
#   check.sh errors MODELS WORK          bad input: one line on stderr and exit status 1
# Every run that generates must print its memory figures, within the board's 32 MiB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
run="$here/../../scripts/run-baremetal.sh"
ram=33554432

fail() { echo "FAIL: $*" >&2; exit 1; }

# Runs the board; its stdout in $1, stderr in $2; the exit status is returned.
board() {
  local out="$1" err="$2"
  shift 2
  set +e
  "$run" "$@" > "$out" 2> "$err"
  local status=$?
  set -e
  return $status
}

expect_figures() {
  local err="$1" line used total
  line="$(grep '^memory: ' "$err")" || fail "no memory figures on stderr: $(cat "$err")"
  used="$(sed -n 's/.* = \([0-9]*\) of \([0-9]*\) bytes of RAM$/\1/p' <<< "$line")"
  total="$(sed -n 's/.* = \([0-9]*\) of \([0-9]*\) bytes of RAM$/\2/p' <<< "$line")"
  [ "$total" = "$ram" ] || fail "the board has $total bytes, not 32 MiB: $line"
  [ "$used" -gt 0 ] && [ "$used" -le "$ram" ] || fail "used $used of $ram: $line"
  echo "$line"
  grep '^plan: ' "$err"
}

case "$1" in
  reference)
    expected="$2"
    shift 2
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    board "$work/out" "$work/err" "$@" || fail "exit status $?: $(cat "$work/err")"
    cmp "$work/out" "$expected" || fail "stdout is not $expected: $(head -c 300 "$work/out")"
    expect_figures "$work/err"
    ;;
  host)
    shoehorn="$2" work="$3"
    mkdir -p "$work"
    model="$work/stories110M-q8_0.gguf"
    [ -f "$model" ] || "$shoehorn" init --shape stories110M --quant q8_0 \
      -z "$here/../../../shared/models/llama2-tok32000.bin" -o "$model" >/dev/null
    args=(-n 8 -s 5 -i "Once upon a time")
    "$shoehorn" run "$model" "${args[@]}" > "$work/host.out" 2>/dev/null
    board "$work/out" "$work/err" "$model" "${args[@]}" || fail "exit status $?: $(cat "$work/err")"
    cmp "$work/out" "$work/host.out" || fail "the board's tokens differ from the host's"
    expect_figures "$work/err"
    streamed="$(sed -n 's/.*; \([0-9]*\) bytes streamed per token$/\1/p' "$work/err")"
    [ "${streamed:-0}" -gt 0 ] || fail "nothing streamed: the model should not fit"
    ;;
  errors)
    models="$2" work="$3"
    mkdir -p "$work"
    # Each case: a file, the text its one line must hold.
    head -c 1000 "$models/stories260K.bin" > "$work/cut.bin"
    check_error() {
      local want="$1"
      shift
      if board "$work/out" "$work/err" "$@"; then fail "exit status 0 for: $*"; fi
      [ "$(wc -l < "$work/err")" -eq 1 ] || fail "not one line: $(cat "$work/err")"
      grep -q -- "$want" "$work/err" || fail "'$want' not in: $(cat "$work/err")"
      cat "$work/err"
    }
    check_error "$work/missing.bin: cannot open it on the host" "$work/missing.bin" -z "$models/tok512.bin"
    check_error "$work/cut.bin.*offset" "$work/cut.bin" -z "$models/tok512.bin"
    check_error "needs a block of at least" "$models/stories260K.bin" -z "$models/tok512.bin" --heap-reserve 33554432
    check_error "unknown flag" "$models/stories260K.bin" --steps 3
    ;;
  *)
    fail "unknown mode $1"
    ;;
esac
