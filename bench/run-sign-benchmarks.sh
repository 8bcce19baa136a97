#!/usr/bin/env bash
# Veritrace signing benchmarks (docs/benchmarks.md, "Signing"): makes the inputs in a temp dir,
# builds Release into build-bench/, then measures
#   1. `veritrace c2pa sign` of the ~10 MB 4000x3000 noise JPEG (the read benchmark's input) as a
#      whole process, alternately with the reference signer (c2pa-rs 0.90.1 under node, es256),
#      with and without claim thumbnails (ours without only if `--no-thumbnail` exists), ours on a
#      camera-style copy with EXIF/MPF previews (ours_cam) and with `--thumbnail` (ours_pixels);
#      each output is read back: validation state, thumbnail or not, store size;
#   2. bytes the signer reads from the JPEG (strace: read/pread64 return values) vs its size;
#   3. a ~2.1 GB MP4: peak RSS and time of `veritrace c2pa sign` (GNU /usr/bin/time -v) against one
#      sequential read + SHA-256 of the same file (`openssl dgst -sha256`, and `sha256sum`),
#      all warm in the page cache, alternated --large-runs times; time of the signer's fsync.
# and prints a summary. Benchmarks, not tests: exit 0 even when a goal is missed.
#
#   bash bench/run-sign-benchmarks.sh [--no-large] [--runs N] [--large-runs N] [--keep] [--out DIR]
#   bash bench/run-benchmarks.sh --sign [same options]
#     --no-large      skip the 2 GB MP4 (needs ~4.5 GB free in $TMPDIR, ~8 GB RAM for the page cache)
#     --runs N        alternating rounds for the 10 MB JPEG (default 15, after 2 warm-ups)
#     --large-runs N  alternating rounds for the MP4 (default 3, after one warm-up read)
#     --keep          keep the temp dir with the media (printed at the end)
#     --out DIR       where results go (default build-bench/bench-results/sign)
# Env: TMPDIR, C2PA_REF (default /work/shared/tools/c2pa-ref), LARGE_BYTES (default 2100000000),
# LARGE_MP4 (an existing unsigned MP4 to use instead of making one), BENCH_BUILD (build dir,
# default build-bench; an already configured one keeps its build type).
# Needs: cmake, ninja, g++, ffmpeg, openssl, GNU time; node for the reference (else skipped);
# strace optional (read-bytes and fsync figures).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
# shellcheck source=bench/bench-lib.sh
. bench/bench-lib.sh

large=1 runs=15 large_runs=3 keep=0 out="$root/${BENCH_BUILD:-build-bench}/bench-results/sign"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-large) large=0 ;;
    --runs) runs="$2"; shift ;;
    --large-runs) large_runs="$2"; shift ;;
    --keep) keep=1 ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-sign-benchmarks.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
ref_dir="${C2PA_REF:-/work/shared/tools/c2pa-ref}"
large_bytes="${LARGE_BYTES:-2100000000}"
pki="$ref_dir/pki"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/veritrace-sign-bench.XXXXXX")"
if [ "$keep" = 1 ]; then trap 'echo "media kept in $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi

for tool in cmake ninja ffmpeg openssl; do
  command -v "$tool" >/dev/null || { echo "run-sign-benchmarks.sh: $tool missing (bash scripts/setup.sh)" >&2; exit 1; }
done
for f in es256.chain.pem es256.key.pem root.pem; do
  [ -f "$pki/$f" ] || { echo "run-sign-benchmarks.sh: $pki/$f missing (set C2PA_REF)" >&2; exit 1; }
done
cert=(--cert "$pki/es256.chain.pem" --key "$pki/es256.key.pem" --alg es256)

# --- machine, reference, build ----------------------------------------------------------------
say "machine: $(nproc) CPUs, $(cpu_model), load average $(loadavg), $(uname -sr)"
load_start="$(loadavg)"
have_ref=0
if ! command -v node >/dev/null; then
  say "REFERENCE SKIPPED: node is not installed"
elif node "$ref_dir/read.mjs" --version >"$work/ref-version.txt" 2>"$work/ref-install.log"; then
  have_ref=1
  note "reference: $(node --version), $(tr '\n' ' ' <"$work/ref-version.txt")"
else
  say "REFERENCE SKIPPED: read.mjs --version failed:"; sed 's/^/   /' "$work/ref-install.log" >&2
fi

bb="${BENCH_BUILD:-build-bench}"
say "build: into $bb/ (Release unless it is configured already)"
[ -f "$bb/CMakeCache.txt" ] && [ "$bb" != build-bench ] && cfg=() || cfg=(-DCMAKE_BUILD_TYPE=Release)
cmake -S . -B "$bb" -G Ninja "${cfg[@]}" >"$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
cmake --build "$bb" --target veritrace_cli
vt="$root/$bb/veritrace"
note "$("$vt" --version)"
have_no_thumb=0
"$vt" c2pa sign --help 2>&1 | grep -q -- '--no-thumbnail' && have_no_thumb=1

# From our reader's JSON report: validation state, and whether the active manifest has a
# `thumbnail` key (with its format).
report_field() {  # FILE state|thumbnail
  if command -v node >/dev/null; then
    node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); const m=(r.manifests||{})[r.active_manifest]||{};
      console.log(process.argv[1]==="state" ? r.validation_state : (m.thumbnail ? "yes (" + m.thumbnail.format + ")" : "no"))' "$2" <"$1"
  else
    python3 -c 'import json,sys; r=json.load(sys.stdin); m=r.get("manifests",{}).get(r.get("active_manifest"),{}); t=m.get("thumbnail")
print(r.get("validation_state") if sys.argv[1]=="state" else ("yes (%s)" % t.get("format") if t else "no"))' "$2" <"$1"
  fi
}
describe_output() {  # FILE -> "state, thumbnail yes|no, N bytes"
  "$vt" c2pa read "$1" --json --trust "$pki/root.pem" >"$work/describe.json" || true
  echo "$(report_field "$work/describe.json" state), thumbnail $(report_field "$work/describe.json" thumbnail), $(stat -c %s "$1") bytes"
}
# strace_io LOG PATH: "BYTES CALLS WRITTEN MAPPED COPIED": bytes returned by read/pread64 on every
# fd opened on PATH (threads included: strace -f, unfinished/resumed calls joined), bytes written
# overall, bytes of PATH mapped with mmap (hashed in place, no copy), and bytes copied from PATH by
# the kernel (copy_file_range).
strace_io() {
  awk -v path="\"$2\"" '
    { pid=$1; line=$0; sub(/^[0-9]+ +/, "", line)
      if (line ~ /<unfinished \.\.\.>$/) { sub(/ *<unfinished \.\.\.>$/, "", line); pend[pid]=line; next }
      if (line ~ /^<\.\.\. [a-z0-9_]+ resumed>/) { sub(/^<\.\.\. [a-z0-9_]+ resumed> */, "", line); line=pend[pid] line }
      name=line; sub(/\(.*/, "", name)
      ret=line; sub(/.*= /, "", ret); sub(/ .*/, "", ret)
      args=line; sub(/^[a-z0-9_]+\(/, "", args)
      fd=args; sub(/,.*/, "", fd)
      if (name=="openat" && index(line, path) && ret ~ /^[0-9]+$/) input[ret]=1
      else if (name=="close") delete input[fd]
      else if ((name=="read" || name=="pread64") && (fd in input) && ret ~ /^[0-9]+$/) { bytes+=ret; calls++ }
      else if (name=="write" && ret ~ /^[0-9]+$/) written+=ret
      else if (name=="mmap") { split(args, a, /, /); if (a[5] in input) mapped+=a[2] }
      else if (name=="copy_file_range" && (fd in input) && ret ~ /^[0-9]+$/) copied+=ret
    }
    END { printf "%.0f %d %.0f %.0f %.0f\n", bytes, calls, written, mapped, copied }' "$1"
}

# run_rounds N NAME...: N rounds; each round runs every command once (the command is the array
# variable NAME), starting one further along each round, so all see the same machine load.
run_rounds() {
  local n="$1" i j nm
  shift
  local names=("$@") k=$#
  for i in $(seq "$n"); do
    for j in $(seq 0 $((k - 1))); do
      nm=${names[$(( (i + j) % k ))]}
      local -n cmd="$nm"
      time_one "$nm" "${cmd[@]}"
      unset -n cmd
    done
  done
}
declare -A wall cpu
summarize() {  # NAME...: medians of $work/t-NAME into wall[NAME], cpu[NAME]
  local nm
  for nm in "$@"; do
    wall[$nm]=$(awk '{print $1}' "$work/t-$nm" | median)
    cpu[$nm]=$(awk '{print $2}' "$work/t-$nm" | median)
    cp "$work/t-$nm" "$out/sign-$nm.txt"
    note "$(printf '%-14s median wall %7s ms, user+sys %7s ms (%s runs)' "$nm" "$(fmt_ms "${wall[$nm]}")" "$(fmt_ms "${cpu[$nm]}")" "$(wc -l <"$work/t-$nm")")"
  done
}

# --- 1. 10 MB JPEG, whole process, alternating ------------------------------------------------
say "inputs in $work"
jpg="$work/big.jpg"
make_big_jpeg "$jpg"
note "big.jpg: $(stat -c %s "$jpg") bytes (unsigned)"
cam="$work/cam.jpg"  # the same picture with a camera's EXIF thumbnail and MPF preview
make_camera_jpeg "$jpg" "$cam"
note "cam.jpg: $(stat -c %s "$cam") bytes (EXIF 160x120 thumbnail, MPF 1440x1080 preview)"
have_thumb_flag=0
"$vt" c2pa sign --help 2>&1 | grep -q -- ' --thumbnail' && have_thumb_flag=1

ours=("$vt" c2pa sign "$jpg" -o "$work/ours.jpg" "${cert[@]}")
ours_nothumb=("$vt" c2pa sign "$jpg" -o "$work/ours-nothumb.jpg" "${cert[@]}" --no-thumbnail)
ref=(node "$ref_dir/sign.mjs" "$jpg" "$work/ref.jpg" "${cert[@]}")
ref_nothumb=(node "$ref_dir/sign.mjs" "$jpg" "$work/ref-nothumb.jpg" "${cert[@]}" --no-thumbnail)
ours_cam=("$vt" c2pa sign "$cam" -o "$work/ours-cam.jpg" "${cert[@]}")
ours_pixels=("$vt" c2pa sign "$jpg" -o "$work/ours-pixels.jpg" "${cert[@]}" --thumbnail)
names=(ours ours_cam)
[ "$have_no_thumb" = 1 ] && names+=(ours_nothumb)
[ "$have_thumb_flag" = 1 ] && names+=(ours_pixels)
[ "$have_ref" = 1 ] && names+=(ref ref_nothumb)
[ "$have_no_thumb" = 1 ] || note "our signer has no --no-thumbnail flag: measured as it is only"

declare -A desc
failed=()
ok_names=()
for nm in "${names[@]}"; do
  declare -n cmd="$nm"
  note "$nm: $(printf '%s ' "${cmd[@]:1}" | sed "s|$work/||g; s|$ref_dir/||g; s|$root/||g")"
  if "${cmd[@]}" >/dev/null 2>"$work/last-stderr"; then
    outfile="${cmd[5]}"; [ "${cmd[0]}" = node ] && outfile="${cmd[3]}"
    desc[$nm]="$(describe_output "$outfile")"
    note "    -> ${desc[$nm]}"
    ok_names+=("$nm")
  else
    failed+=("$nm: exit $?: $(tr '\n' ' ' <"$work/last-stderr")")
    note "    -> FAILED (not timed): $(cat "$work/last-stderr")"
  fi
  unset -n cmd
done
names=("${ok_names[@]}")
[ ${#names[@]} -gt 0 ] || { echo "run-sign-benchmarks.sh: no signer worked" >&2; exit 1; }

say "10 MB JPEG sign, whole process: 2 warm-up rounds + $runs alternating rounds, load $(loadavg)"
load_jpeg_start="$(loadavg)"
run_rounds 2 "${names[@]}"
for nm in "${names[@]}"; do rm -f "$work/t-$nm"; done
run_rounds "$runs" "${names[@]}"
load_jpeg_end="$(loadavg)"
summarize "${names[@]}"

if command -v hyperfine >/dev/null; then
  hf_cmds=()
  for nm in "${names[@]}"; do declare -n cmd="$nm"; hf_cmds+=("${cmd[*]}"); unset -n cmd; done
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/hyperfine-sign.json" "${hf_cmds[@]}" >&2 || true
fi

# --- 2. how much of the input the signer reads ------------------------------------------------
read_note=""
if command -v strace >/dev/null; then
  say "bytes read by the signer (strace -f: read/pread64 of the input fd, mmap of it, copy_file_range from it)"
  for nm in "${names[@]}"; do
    case "$nm" in ours*) ;; *) continue ;; esac
    declare -n cmd="$nm"
    strace -f -qq -e trace=openat,close,read,pread64,write,mmap,copy_file_range -o "$work/strace-$nm.txt" "${cmd[@]}" >/dev/null
    unset -n cmd
    read -r rd_bytes rd_calls wr_bytes mp_bytes cp_bytes < <(strace_io "$work/strace-$nm.txt" "$jpg")
    line="$nm: read $rd_bytes bytes of the $(stat -c %s "$jpg")-byte input in $rd_calls calls ($(awk -v a="$rd_bytes" -v b="$(stat -c %s "$jpg")" 'BEGIN{printf "%.2f", a/b}')x), mapped $mp_bytes, kernel-copied $cp_bytes; wrote $wr_bytes bytes"
    note "$line"
    read_note+="$line"$'\n'
    cp "$work/strace-$nm.txt" "$out/"
  done
fi

# --- 3. large MP4 -----------------------------------------------------------------------------
lg_rss="" lg_state=""
if [ "$large" = 1 ]; then
  [ -x /usr/bin/time ] || { echo "run-sign-benchmarks.sh: GNU time missing (/usr/bin/time)" >&2; exit 1; }
  say "large MP4 (target $large_bytes bytes), load $(loadavg)"
  mp4="$work/large.mp4"
  if [ -n "${LARGE_MP4:-}" ]; then ln -s "$(realpath "$LARGE_MP4")" "$mp4"; else make_large_mp4 "$mp4" "$large_bytes"; fi
  mp4_bytes=$(stat -L -c %s "$mp4")
  note "large.mp4: $mp4_bytes bytes (unsigned)"
  cat "$mp4" >/dev/null  # warm: every command below finds the input in the page cache
  lg_openssl=(openssl dgst -sha256 "$mp4")
  lg_sha256sum=(sha256sum "$mp4")
  lg_sign=("$vt" c2pa sign "$mp4" -o "$work/large-signed.mp4" "${cert[@]}")
  lg_names=(lg_openssl lg_sha256sum lg_sign)
  # /usr/bin/time -v per run: wall, user+sys and peak RSS; the output is removed after each run.
  load_large_start="$(loadavg)"
  for i in $(seq "$large_runs"); do
    for j in 0 1 2; do
      nm=${lg_names[$(( (i + j) % 3 ))]}
      declare -n cmd="$nm"
      rm -f "$work/large-signed.mp4"; sync
      /usr/bin/time -v "${cmd[@]}" >/dev/null 2>"$work/time-$nm-$i.txt" ||
        { echo "bench: ${cmd[*]} failed:" >&2; tail -n 30 "$work/time-$nm-$i.txt" >&2; exit 1; }
      unset -n cmd
      awk -F': ' '/Elapsed/ {n=split($2,p,":"); w=(n==3)?p[1]*3600+p[2]*60+p[3]:p[1]*60+p[2]} /User time|System time/ {c+=$2}
                  /Maximum resident/ {r=$2} END {printf "%.3f %.3f %d\n", w, c, r}' "$work/time-$nm-$i.txt" >>"$work/t-$nm"
      cp "$work/time-$nm-$i.txt" "$out/"
    done
  done
  load_large_end="$(loadavg)"
  summarize "${lg_names[@]}"
  lg_rss=$(awk '{print $3}' "$work/t-lg_sign" | sort -n | tail -1)
  note "sign peak RSS (max of $large_runs runs): $lg_rss KB; all: $(awk '{printf "%s ", $3}' "$work/t-lg_sign")"
  lg_fsync="" lg_io=""
  if command -v strace >/dev/null; then
    rm -f "$work/large-signed.mp4"; sync
    strace -f -qq -T -e trace=openat,close,read,pread64,write,fsync,rename,mmap,copy_file_range -o "$work/strace-large.txt" "${lg_sign[@]}" >/dev/null
    lg_fsync=$(grep -o 'fsync(.*<[0-9.]*>' "$work/strace-large.txt" | grep -o '<[0-9.]*>' | tr -d '<>' | head -1)
    read -r lg_rd lg_calls lg_wr lg_mp lg_cp < <(strace_io "$work/strace-large.txt" "$mp4")
    lg_io="read $lg_rd bytes of the input in $lg_calls calls ($(awk -v a="$lg_rd" -v b="$mp4_bytes" 'BEGIN{printf "%.2f", a/b}')x), mapped $lg_mp, kernel-copied $lg_cp; wrote $lg_wr bytes"
    note "one extra run under strace -T: fsync of the output took ${lg_fsync:-?} s; $lg_io"
  fi
  "$vt" c2pa read "$work/large-signed.mp4" --json --trust "$pki/root.pem" >"$work/large.json" || true
  lg_state=$(report_field "$work/large.json" state)
  lg_thumb=$(report_field "$work/large.json" thumbnail)
  note "signed MP4 ($(stat -c %s "$work/large-signed.mp4") bytes): $lg_state, thumbnail $lg_thumb"
  rm -f "$work"/large*.mp4
else
  say "large MP4 SKIPPED (--no-large)"
fi

# --- summary ----------------------------------------------------------------------------------
met_le() { awk -v x="$1" -v g="$2" 'BEGIN { if (x==""||x=="nan") print "n/a"; else if (x+0 <= g+0) print "met"; else print "MISSED" }'; }
{
  echo
  echo "== signing summary ($(date -u +%Y-%m-%dT%H:%MZ); $(nproc) CPUs, $(cpu_model); load $load_start at start, $(loadavg) at end)"
  echo "10 MB JPEG rounds: load $load_jpeg_start -> $load_jpeg_end"
  printf '%-44s %10s %10s %10s %10s\n' "10 MB JPEG sign, whole process (ms)" "wall" "user+sys" "ref/ours" "(cpu)"
  for nm in "${names[@]}"; do
    r_w="" r_c=""
    case "$nm" in ours) r_w=$(ratio "${wall[ref]:-}" "${wall[ours]}"); r_c=$(ratio "${cpu[ref]:-}" "${cpu[ours]}") ;;
                  ref) r_w="(ref)"; r_c="" ;;
                  ours_nothumb) r_w=$(ratio "${wall[ref_nothumb]:-}" "${wall[ours_nothumb]}"); r_c=$(ratio "${cpu[ref_nothumb]:-}" "${cpu[ours_nothumb]}") ;; esac
    printf '  %-42s %10s %10s %10s %10s   %s\n' "$nm" "$(fmt_ms "${wall[$nm]}")" "$(fmt_ms "${cpu[$nm]}")" "$r_w" "$r_c" "${desc[$nm]}"
  done
  for f in "${failed[@]}"; do echo "  FAILED, not timed: $f"; done
  for nm in ours ours_nothumb; do
    [ -n "${wall[$nm]:-}" ] && echo "  goal, $nm <= 50 ms wall median: $(met_le "$(awk -v x="${wall[$nm]}" 'BEGIN{print x*1000}')" 50) ($(fmt_ms "${wall[$nm]}") ms)"
  done
  [ -n "$read_note" ] && printf '%s' "$read_note"
  if [ "$large" = 1 ]; then
    echo "$(awk -v b="$mp4_bytes" 'BEGIN{printf "%.2f GB", b/1e9}') MP4, warm page cache, $large_runs alternating rounds, load $load_large_start -> $load_large_end"
    for nm in "${lg_names[@]}"; do
      printf '  %-42s wall %8.3f s, user+sys %8.3f s, peak RSS %s KB\n' "$nm" "${wall[$nm]}" "${cpu[$nm]}" "$(awk '{print $3}' "$work/t-$nm" | median)"
    done
    echo "  sign / openssl dgst: $(ratio "${wall[lg_sign]}" "${wall[lg_openssl]}") (goal <= 2: $(met_le "$(ratio "${wall[lg_sign]}" "${wall[lg_openssl]}")" 2)); sign / sha256sum: $(ratio "${wall[lg_sign]}" "${wall[lg_sha256sum]}")"
    echo "  sign peak RSS $lg_rss KB (goal < 64 MB: $(awk -v k="$lg_rss" 'BEGIN{print (k < 65536) ? "met" : "MISSED"}')); fsync ${lg_fsync:-?} s; output $lg_state, thumbnail $lg_thumb"
    [ -n "$lg_io" ] && echo "  sign under strace: $lg_io"
  fi
  echo "results: $out"
} | tee "$out/summary.txt"
