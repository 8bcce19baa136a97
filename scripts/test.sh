#!/usr/bin/env bash
# Veritrace's test entry point (README command 2; .ci/run calls it). Runs, in order:
#   release  scripts/setup.sh (packages + build/ with -Werror), then ctest in build/
#   asan     ASan+UBSan build in build-asan/ (gcc, benchmarks off), then ctest there
#   fuzz     libFuzzer build in build-fuzz/ (clang), then every fuzz_* target for FUZZ_SECONDS
#            on a temporary copy of fuzz/corpus/<name>/; any crash, leak or timeout fails
#
#   bash scripts/test.sh                 # all three stages
#   bash scripts/test.sh --quick         # release only
#   bash scripts/test.sh --asan --fuzz   # the stages named (any of --release --asan --fuzz)
#   bash scripts/test.sh --fuzz-seconds 60
# Environment: VERITRACE_STAGES="release asan fuzz" (same as the flags), FUZZ_SECONDS (default 30),
# FUZZ_JOBS (fuzz targets run at once, default 2), CTEST_JOBS (default 2), CTEST_ARGS (extra ctest arguments, e.g. "-R cbor"), FAIL_FAST=1 (stop at
# the first failing stage; by default every selected stage runs and the exit status is 1 if any failed).
# Each stage prints its wall time and the CPU time its processes used (comparable across loads).
# Reproducers of fuzz failures are kept in fuzz/findings/<name>/ (ignored by git).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

stages="${VERITRACE_STAGES:-}"
fuzz_seconds="${FUZZ_SECONDS:-20}"
jobs="${CTEST_JOBS:-2}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) stages="release" ;;
    --release|--asan|--fuzz) stages="$stages ${1#--}" ;;
    --all) stages="release asan fuzz" ;;
    --fuzz-seconds) fuzz_seconds="${2:?--fuzz-seconds needs a number}"; shift ;;
    --fuzz-seconds=*) fuzz_seconds="${1#*=}" ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "${stages// /}" ] || stages="release asan fuzz"
for s in $stages; do
  case "$s" in release|asan|fuzz) ;; *) echo "test.sh: unknown stage '$s'" >&2; exit 2 ;; esac
done
[[ "$fuzz_seconds" =~ ^[0-9]+$ ]] || { echo "test.sh: FUZZ_SECONDS must be a whole number" >&2; exit 2; }
read -r -a ctest_extra <<< "${CTEST_ARGS:-}"

want() { [[ " $stages " == *" $1 "* ]]; }
summary=()
t_all=$(date +%s)
# Sets cpu_now to the CPU seconds (user + sys) used so far by this shell's finished children, from
# the `times` builtin (which must run in this shell, not in a $(...) subshell).
cpu_now=0
child_cpu() {
  local f; f=$(mktemp); times >"$f"
  cpu_now=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } print t }' "$f")
  rm -f "$f"
}
status=0
stage() {  # stage NAME FUNCTION: runs it, prints its wall and CPU time; a failure is remembered
  local name=$1 fn=$2 rc t0 c0 w c verdict
  echo "=== test.sh: stage $name ===" >&2
  t0=$(date +%s); child_cpu; c0=$cpu_now
  set +e
  ( set -e; "$fn" )
  rc=$?
  set -e
  w=$(( $(date +%s) - t0 ))
  child_cpu
  c=$(awk -v a="$c0" -v b="$cpu_now" 'BEGIN { printf "%.0f", b - a }')
  verdict=$([ $rc = 0 ] && echo ok || echo FAILED)
  summary+=("$(printf '%-8s %-6s wall %5d s   cpu %5d s' "$name" "$verdict" "$w" "$c")")
  echo "=== test.sh: stage $name $([ $rc = 0 ] && echo passed || echo FAILED) in ${w} s (cpu ${c} s) ===" >&2
  [ $rc = 0 ] || status=1
  if [ $rc != 0 ] && [ "${FAIL_FAST:-0}" = 1 ]; then report; exit 1; fi
}
report() {
  echo "=== test.sh summary (total $(( $(date +%s) - t_all )) s) ===" >&2
  printf '  %s\n' "${summary[@]}" >&2
}

release() {
  bash scripts/setup.sh
  ctest --preset release -j "$jobs" "${ctest_extra[@]}"
}

asan() {
  bash scripts/setup.sh --deps
  cmake --preset asan-ubsan >/dev/null
  cmake --build --preset asan-ubsan
  ctest --preset asan-ubsan -j "$jobs" "${ctest_extra[@]}"
}

# One fuzz target on a temporary copy of its seed corpus; returns non-zero on a finding.
fuzz_one() {
  local name="$1" short bin work findings log rc
  short=${name#fuzz_}
  bin="build-fuzz/fuzz/$name"
  [ -x "$bin" ] || { echo "test.sh: $bin was not built" >&2; return 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/vt-fuzz-$short.XXXXXX")
  if [ -d "fuzz/corpus/$short" ]; then
    cp -r "fuzz/corpus/$short/." "$work/"
  else
    echo "test.sh: warning: no seed corpus fuzz/corpus/$short/ for $name" >&2
  fi
  findings="$root/fuzz/findings/$short"
  mkdir -p "$findings"
  log="$root/build-fuzz/$name.log"
  set +e
  "$bin" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$work" >"$log" 2>&1
  rc=$?
  set -e
  rm -rf "$work"
  if [ $rc = 0 ]; then
    { echo "--- $name: ${fuzz_seconds} s on a copy of fuzz/corpus/$short/"
      grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$log" | sed 's/^/    /' || true; } >&2
    return 0
  fi
  { echo "!!! $name FAILED (exit $rc); last lines of $log:"
    tail -n 60 "$log"
    grep -E 'Test unit written to|artifact_prefix' "$log" | sed "s|^|!!! reproducer: |" || true
    echo "!!! reproduce with: $bin <reproducer file>"; } >&2
  return 1
}

fuzz() {
  bash scripts/setup.sh --deps
  export CC=clang CXX=clang++
  # The targets are the fuzz/fuzz_*.cpp present when the build starts (a file someone adds
  # meanwhile waits for the next run).
  shopt -s nullglob
  local srcs=(fuzz/fuzz_*.cpp)
  [ ${#srcs[@]} -gt 0 ] || { echo "test.sh: no fuzz/fuzz_*.cpp targets" >&2; return 1; }
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
  local symbolizer
  symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
  [ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  # Targets run FUZZ_JOBS at a time (default 2: one per core of the CI machine), each for the
  # full FUZZ_SECONDS; each prints its report when it finishes.
  local fuzz_jobs="${FUZZ_JOBS:-2}" failed=() src name pids=() names=()
  for src in "${srcs[@]}"; do
    name=$(basename "$src" .cpp)
    fuzz_one "$name" &
    pids+=($!)
    names+=("$name")
    if [ ${#pids[@]} -ge "$fuzz_jobs" ]; then
      wait "${pids[0]}" || failed+=("${names[0]}")
      pids=("${pids[@]:1}")
      names=("${names[@]:1}")
    fi
  done
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "test.sh: fuzz failures: ${failed[*]} (reproducers in fuzz/findings/)" >&2
    return 1
  fi
}

for s in release asan fuzz; do
  if want "$s"; then stage "$s" "$s"; fi
done
report
exit $status
