#!/usr/bin/env bash
# Veritrace benchmarks (docs/benchmarks.md): makes the inputs in a temp dir, builds Release into
# build-bench/, then measures
#   1. `veritrace c2pa read` of a ~10 MB 4000x3000 JPEG (and a 70 KB one) as a whole process,
#      alternately with the reference (c2pa-rs 0.90.1 under node), plus hyperfine if installed;
#   2. bench_hash: our streaming SHA-256 of a file vs OpenSSL EVP over memory, same process;
#   3. bench_read: in-process c2pa::Reader::read_file;
#   4. peak RSS and time of reading a ~2 GB signed MP4 (GNU /usr/bin/time -v).
# and prints a summary table. Benchmarks, not tests: exit 0 even when a goal is missed.
#
#   bash bench/run-benchmarks.sh [--no-large] [--runs N] [--keep] [--out DIR]
#   bash bench/run-benchmarks.sh --sign [options]   signing instead: runs bench/run-sign-benchmarks.sh
#     --no-large   skip the 2 GB MP4 part (needs ~4.5 GB free in $TMPDIR and a few minutes)
#     --runs N     whole-process runs per command (default 15, after 2 warm-ups)
#     --keep       keep the temp dir with the media (printed at the end)
#     --out DIR    where JSON/CSV results go (default build-bench/bench-results)
# Env: TMPDIR (media), C2PA_REF (reference kit, default /work/shared/tools/c2pa-ref),
#      LARGE_BYTES (size of the large MP4, default 2100000000), BENCH_BUILD (build dir, default
#      build-bench; an already configured one keeps its build type).
# Needs (scripts/deps-debian.txt): cmake, ninja, g++, libbenchmark-dev, ffmpeg, time; hyperfine
# optional. node/npm optional: without them the reference columns are skipped (and, since the
# reference signer makes the signed inputs, so are the signed-file timings).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
[ "${1:-}" = --sign ] && { shift; exec bash bench/run-sign-benchmarks.sh "$@"; }
# shellcheck source=bench/bench-lib.sh
. bench/bench-lib.sh

large=1 runs=15 keep=0 out="$root/${BENCH_BUILD:-build-bench}/bench-results"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-large) large=0 ;;
    --runs) runs="$2"; shift ;;
    --keep) keep=1 ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-benchmarks.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
ref_dir="${C2PA_REF:-/work/shared/tools/c2pa-ref}"
large_bytes="${LARGE_BYTES:-2100000000}"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/veritrace-bench.XXXXXX")"
if [ "$keep" = 1 ]; then trap 'echo "media kept in $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi


for tool in cmake ninja ffmpeg; do
  command -v "$tool" >/dev/null || { echo "run-benchmarks.sh: $tool missing (bash scripts/setup.sh)" >&2; exit 1; }
done

# --- machine --------------------------------------------------------------------------------
cpu_model="$(cpu_model)"
say "machine: $(nproc) CPUs, $cpu_model, load average $(loadavg), $(uname -sr)"
load_start="$(loadavg)"

# --- reference ------------------------------------------------------------------------------
have_ref=0
if ! command -v node >/dev/null; then
  say "REFERENCE SKIPPED: node is not installed; reference columns and signed inputs are skipped"
elif [ ! -f "$ref_dir/read.mjs" ]; then
  say "REFERENCE SKIPPED: $ref_dir/read.mjs not found (set C2PA_REF)"
else
  say "reference: $(node --version) $ref_dir (first use installs into a cache, may take a while)"
  if node "$ref_dir/read.mjs" --version >"$work/ref-version.txt" 2>"$work/ref-install.log"; then
    have_ref=1
    note "$(tr '\n' ' ' <"$work/ref-version.txt")"
  else
    say "REFERENCE SKIPPED: read.mjs --version failed (npm missing or install failed):"
    sed 's/^/   /' "$work/ref-install.log" >&2
  fi
fi
pki="$ref_dir/pki"

# --- build ----------------------------------------------------------------------------------
bb="${BENCH_BUILD:-build-bench}"
say "build: into $bb/ (Release unless it is configured already)"
[ -f "$bb/CMakeCache.txt" ] && [ "$bb" != build-bench ] && cfg=() || cfg=(-DCMAKE_BUILD_TYPE=Release)
cmake -S . -B "$bb" -G Ninja "${cfg[@]}" >"$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
cmake --build "$bb" --target veritrace_cli bench_hash bench_read
vt="$root/$bb/veritrace"
note "$("$vt" --version)"

# --- inputs ---------------------------------------------------------------------------------
say "inputs in $work"
make_big_jpeg "$work/big.jpg"
note "big.jpg: $(stat -c %s "$work/big.jpg") bytes (unsigned)"
big=""
if [ "$have_ref" = 1 ]; then
  node "$ref_dir/sign.mjs" "$work/big.jpg" "$work/big-signed.jpg" --cert "$pki/es256.chain.pem" \
    --key "$pki/es256.key.pem" --alg es256 >&2
  big="$work/big-signed.jpg"
  note "big-signed.jpg: $(stat -c %s "$big") bytes"
else
  note "no reference signer: whole-process timing of the signed 10 MB JPEG is skipped"
fi
small="/work/shared/data/c2pa/made/jpeg/es256.jpg"
[ -f "$small" ] || { note "small signed JPEG $small absent: skipped"; small=""; }
trust=(--trust "$pki/root.pem")
[ -f "$pki/root.pem" ] || trust=(--no-trust-check)

# --- 1. whole process, alternating ----------------------------------------------------------
# Each pair runs ours and the reference back to back (order swapped every pair), so both see the
# same machine load. bash's `time` gives wall, user and system time of each process.
declare -A wall cpu
whole_process() {  # name file
  local name="$1" file="$2" i
  local ours=("$vt" c2pa read --json "$file" "${trust[@]}")
  local ref=(node "$ref_dir/read.mjs" "$file" "${trust[@]}")
  say "whole process: $name ($(stat -c %s "$file") bytes), 2 warm-ups + $runs alternating runs, load $(loadavg)"
  note "ours: $("$vt" c2pa read --json "$file" "${trust[@]}" | grep -m1 -o '"validation_state": *"[A-Za-z]*"')"
  [ "$have_ref" = 1 ] && note "ref:  $(node "$ref_dir/read.mjs" "$file" "${trust[@]}" --compact | grep -m1 -o '"validation_state":"[A-Za-z]*"')"
  rm -f "$work/t-ours-$name" "$work/t-ref-$name"
  for i in 1 2; do
    "${ours[@]}" >/dev/null 2>&1 || true
    [ "$have_ref" = 1 ] && { "${ref[@]}" >/dev/null 2>&1 || true; }
  done
  for i in $(seq "$runs"); do
    if [ "$have_ref" = 1 ] && [ $((i % 2)) = 0 ]; then
      time_one "ref-$name" "${ref[@]}"; time_one "ours-$name" "${ours[@]}"
    else
      time_one "ours-$name" "${ours[@]}"
      [ "$have_ref" = 1 ] && time_one "ref-$name" "${ref[@]}"
    fi
  done
  for who in ours ref; do
    if [ -f "$work/t-$who-$name" ]; then
      wall[$who-$name]=$(awk '{print $1}' "$work/t-$who-$name" | median)
      cpu[$who-$name]=$(awk '{print $2}' "$work/t-$who-$name" | median)
      cp "$work/t-$who-$name" "$out/whole-$who-$name.txt"
      note "$who: median wall $(fmt_ms "${wall[$who-$name]}") ms, user+sys $(fmt_ms "${cpu[$who-$name]}") ms"
    fi
  done
  if command -v hyperfine >/dev/null; then
    local cmds=("${ours[*]}")
    [ "$have_ref" = 1 ] && cmds+=("${ref[*]}")
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/hyperfine-$name.json" "${cmds[@]}" >&2
    mapfile -t hf < <(grep -o '"median": *[0-9.e-]*' "$out/hyperfine-$name.json" | awk '{print $2}')
    wall[hf-ours-$name]="${hf[0]:-nan}"
    wall[hf-ref-$name]="${hf[1]:-nan}"
  else
    note "hyperfine not installed: only the alternating loop above"
  fi
}
[ -n "$big" ] && whole_process big "$big"
[ -n "$small" ] && whole_process small "$small"
load_after_whole="$(loadavg)"

# --- 2. hashing -----------------------------------------------------------------------------
say "bench_hash on big.jpg, load $(loadavg)"
hash_in="${big:-$work/big.jpg}"
"$bb"/bench/bench_hash "$hash_in" --benchmark_min_time=0.5 --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/bench_hash.csv" --benchmark_out_format=csv >&2
hash_bytes=$(stat -c %s "$hash_in")
# CSV: name,iterations,real_time,cpu_time,time_unit,...; median rows. GB/s from CPU time (ns).
hash_col() { awk -F, -v n="\"$1/real_time_median\"" -v c="$2" '$1==n {print $c}' "$out/bench_hash.csv"; }
gbps() { awk -v b="$1" -v ns="$2" 'BEGIN { if (ns=="") print "n/a"; else printf "%.2f", b/ns }'; }
ossl_cpu=$(hash_col OpenSSL_EVP_SHA256/memory 4); ossl_real=$(hash_col OpenSSL_EVP_SHA256/memory 3)
ours_cpu=$(hash_col Veritrace/Hasher_update_from/file 4); ours_real=$(hash_col Veritrace/Hasher_update_from/file 3)
excl_cpu=$(hash_col Veritrace/hash_excluding/file 4)
mmap_cpu=$(hash_col "Bare/mmap_8MiB_windows+EVP_SHA256/file" 4)
# The library's pread path (read-ahead thread), as it runs when mapping is off.
VERITRACE_NO_MMAP=1 "$bb"/bench/bench_hash "$hash_in" --benchmark_min_time=0.5 --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_filter='OpenSSL_EVP_SHA256/memory$|Veritrace/Hasher_update_from/file' \
  --benchmark_out="$out/bench_hash_pread.csv" --benchmark_out_format=csv >&2
pread_cpu=$(awk -F, '$1=="\"Veritrace/Hasher_update_from/file/real_time_median\"" {print $4}' "$out/bench_hash_pread.csv")
pread_ossl=$(awk -F, '$1=="\"OpenSSL_EVP_SHA256/memory/real_time_median\"" {print $4}' "$out/bench_hash_pread.csv")

# --- 3. in-process read ---------------------------------------------------------------------
say "bench_read, load $(loadavg)"
read_in=()
[ -n "$big" ] && read_in+=("$big")
[ -n "$small" ] && read_in+=("$small")
if [ ${#read_in[@]} -gt 0 ]; then
  VERITRACE_BENCH_TRUST="$pki/root.pem" "$bb"/bench/bench_read "${read_in[@]}" --benchmark_min_time=0.5 \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/bench_read.csv" --benchmark_out_format=csv >&2
  read_col() { awk -F, -v n="\"read_file/$1/real_time_median\"" -v c="$2" '$1==n {print $c}' "$out/bench_read.csv"; }
  [ -n "$big" ] && { rb_real=$(read_col big-signed.jpg 3); rb_cpu=$(read_col big-signed.jpg 4); }
  [ -n "$small" ] && { rs_real=$(read_col es256.jpg 3); rs_cpu=$(read_col es256.jpg 4); }
else
  note "bench_read SKIPPED: no signed input"
fi

# --- 4. large MP4: peak RSS -----------------------------------------------------------------
rss_kb="" rss_wall="" rss_cpu="" rss_state="" ref_rss_kb="" ref_rss_wall="" sign_note="" mp4_bytes=""
if [ "$large" = 1 ]; then
  [ -x /usr/bin/time ] || { echo "run-benchmarks.sh: GNU time missing (/usr/bin/time)" >&2; exit 1; }
  say "large MP4 (target $large_bytes bytes) in $work, load $(loadavg)"
  make_large_mp4 "$work/large.mp4" "$large_bytes"
  note "large.mp4: $(stat -c %s "$work/large.mp4") bytes (unsigned)"
  mp4="$work/large.mp4"
  if [ "$have_ref" = 1 ]; then
    if /usr/bin/time -v node "$ref_dir/sign.mjs" "$work/large.mp4" "$work/large-signed.mp4" --cert "$pki/es256.chain.pem" \
        --key "$pki/es256.key.pem" --alg es256 2>"$work/sign-large.time" >&2; then
      mp4="$work/large-signed.mp4"
      sign_note="reference signed it in $(grep 'Elapsed' "$work/sign-large.time" | awk '{print $NF}') (m:ss), peak RSS $(grep 'Maximum resident' "$work/sign-large.time" | awk '{print $NF}') KB"
      rm -f "$work/large.mp4"
    else
      tail -n 30 "$work/sign-large.time" >&2
      say "the reference could not sign $(stat -c %s "$work/large.mp4") bytes; retrying at 512 MB"
      ffmpeg -hide_banner -loglevel error -y -i "$work/large.mp4" -c copy -fs 512000000 "$work/large512.mp4"
      rm -f "$work/large.mp4"
      node "$ref_dir/sign.mjs" "$work/large512.mp4" "$work/large-signed.mp4" --cert "$pki/es256.chain.pem" \
        --key "$pki/es256.key.pem" --alg es256 >&2
      mp4="$work/large-signed.mp4"
      sign_note="FALLBACK: reference could not sign the 2 GB file; measured at $(stat -c %s "$mp4") bytes"
    fi
  else
    sign_note="no reference signer: unsigned MP4 (no manifest), RSS of scanning it only"
  fi
  mp4_bytes=$(stat -c %s "$mp4")
  note "$sign_note"
  /usr/bin/time -v "$vt" c2pa read --json "$mp4" "${trust[@]}" >"$work/large-ours.json" 2>"$work/large-ours.time" || true
  rss_kb=$(grep 'Maximum resident' "$work/large-ours.time" | awk '{print $NF}')
  rss_wall=$(grep 'Elapsed' "$work/large-ours.time" | awk '{print $NF}')
  rss_cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$work/large-ours.time")
  rss_state=$(grep -m1 -o '"validation_state": *"[A-Za-z]*"' "$work/large-ours.json" | sed 's/.*"\([A-Za-z]*\)"$/\1/' || true)
  cp "$work/large-ours.time" "$out/large-ours.time"
  note "ours: peak RSS $rss_kb KB, elapsed $rss_wall, user+sys ${rss_cpu} s, state ${rss_state:-none}"
  if [ "$have_ref" = 1 ]; then
    /usr/bin/time -v node "$ref_dir/read.mjs" "$mp4" "${trust[@]}" >/dev/null 2>"$work/large-ref.time" || true
    ref_rss_kb=$(grep 'Maximum resident' "$work/large-ref.time" | awk '{print $NF}')
    ref_rss_wall=$(grep 'Elapsed' "$work/large-ref.time" | awk '{print $NF}')
    cp "$work/large-ref.time" "$out/large-ref.time"
    note "ref:  peak RSS $ref_rss_kb KB, elapsed $ref_rss_wall"
  fi
  rm -f "$work"/large*.mp4
else
  say "large MP4 SKIPPED (--no-large)"
fi

# --- summary --------------------------------------------------------------------------------
met() { awk -v x="$1" -v g="$2" 'BEGIN { if (x==""||x=="n/a"||x=="nan") print "n/a"; else if (x+0 <= g+0) print "met"; else print "MISSED" }'; }
{
  echo
  echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ); $(nproc) CPUs, $cpu_model; load $load_start at start, $(loadavg) at end)"
  printf '%-46s %12s %12s %8s %14s %s\n' "measure" "ours" "reference" "ref/ours" "goal" "status"
  if [ -n "$big" ]; then
    o=${wall[ours-big]:-}; r=${wall[ref-big]:-}
    printf '%-46s %12s %12s %8s %14s %s\n' "10 MB JPEG read, wall median ms (alternating)" "$(fmt_ms "$o")" "$(fmt_ms "$r")" "$(ratio "$r" "$o")" "<= 30 ms" "$(met "$(awk -v x="$o" 'BEGIN{print x*1000}')" 30)"
    printf '%-46s %12s %12s %8s %14s\n' "10 MB JPEG read, user+sys median ms" "$(fmt_ms "${cpu[ours-big]:-}")" "$(fmt_ms "${cpu[ref-big]:-}")" "$(ratio "${cpu[ref-big]:-}" "${cpu[ours-big]:-}")" ""
    [ -n "${wall[hf-ours-big]:-}" ] && printf '%-46s %12s %12s %8s\n' "10 MB JPEG read, hyperfine median ms" "$(fmt_ms "${wall[hf-ours-big]}")" "$(fmt_ms "${wall[hf-ref-big]:-}")" "$(ratio "${wall[hf-ref-big]:-}" "${wall[hf-ours-big]}")"
  fi
  if [ -n "$small" ]; then
    o=${wall[ours-small]:-}; r=${wall[ref-small]:-}
    printf '%-46s %12s %12s %8s\n' "70 KB JPEG read, wall median ms (alternating)" "$(fmt_ms "$o")" "$(fmt_ms "$r")" "$(ratio "$r" "$o")"
    printf '%-46s %12s %12s %8s\n' "70 KB JPEG read, user+sys median ms" "$(fmt_ms "${cpu[ours-small]:-}")" "$(fmt_ms "${cpu[ref-small]:-}")" "$(ratio "${cpu[ref-small]:-}" "${cpu[ours-small]:-}")"
  fi
  hr=$(ratio "$ossl_cpu" "$ours_cpu")
  printf '%-46s %12s %12s %8s %14s %s\n' "SHA-256 of file, GB/s (CPU time), vs OpenSSL" "$(gbps "$hash_bytes" "$ours_cpu")" "$(gbps "$hash_bytes" "$ossl_cpu")" "" "near OpenSSL" "ours/OpenSSL = $hr"
  printf '%-46s %12s %12s %8s %14s %s\n' "SHA-256 of file, GB/s (wall time), vs OpenSSL" "$(gbps "$hash_bytes" "$ours_real")" "$(gbps "$hash_bytes" "$ossl_real")" "" "" "ours/OpenSSL = $(ratio "$ossl_real" "$ours_real")"
  printf '%-46s %12s\n' "  hash_excluding (file), GB/s CPU" "$(gbps "$((hash_bytes - 65536))" "$excl_cpu")"
  printf '%-46s %12s\n' "  bare mmap loop + EVP (not library), GB/s CPU" "$(gbps "$hash_bytes" "$mmap_cpu")"
  printf '%-46s %12s %12s %8s %14s %s\n' "  pread path (VERITRACE_NO_MMAP=1), GB/s CPU" "$(gbps "$hash_bytes" "$pread_cpu")" "$(gbps "$hash_bytes" "$pread_ossl")" "" "" "ours/OpenSSL = $(ratio "$pread_ossl" "$pread_cpu")"
  [ -n "${rb_real:-}" ] && printf '%-46s %12s\n' "in-process read_file 10 MB, median ms wall/CPU" "$(awk -v a="$rb_real" -v b="$rb_cpu" 'BEGIN{printf "%.2f/%.2f", a, b}')"
  [ -n "${rs_real:-}" ] && printf '%-46s %12s\n' "in-process read_file 70 KB, median ms wall/CPU" "$(awk -v a="$rs_real" -v b="$rs_cpu" 'BEGIN{printf "%.3f/%.3f", a, b}')"
  if [ -n "$rss_kb" ]; then
    printf '%-46s %12s %12s %8s %14s %s\n' "$(awk -v b="$mp4_bytes" 'BEGIN{printf "%.2f GB", b/1e9}') MP4 read, peak RSS MB" "$(awk -v k="$rss_kb" 'BEGIN{printf "%.1f", k/1024}')" "$(awk -v k="$ref_rss_kb" 'BEGIN{if (k=="") print "n/a"; else printf "%.1f", k/1024}')" "" "< 64 MB" "$(awk -v k="$rss_kb" 'BEGIN{print (k < 65536) ? "met" : "MISSED"}') (state ${rss_state:-none})"
    printf '%-46s %12s %12s\n' "  same read, elapsed m:ss (ours user+sys ${rss_cpu} s)" "$rss_wall" "${ref_rss_wall:-n/a}"
    echo "  $sign_note"
  fi
  echo "results: $out"
} | tee "$out/summary.txt"
