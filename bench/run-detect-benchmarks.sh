#!/usr/bin/env bash
# Detection throughput and memory (docs/detection.md, "Speed and memory"):
#   1. throughput: `veritrace detect --jsonl` over N distinct 1024-px JPEGs (made from the shared
#      photos and gan_dev images, or synthetic ones when ../shared is absent), default detectors,
#      2 worker threads; files/s from the wall time of the whole process (median of --runs runs);
#   2. per-detector CPU: the median of each detector's timing_ms over those files (one thread);
#   3. memory: peak RSS (GNU time) of one `detect --jsonl` run over a BATCH-file folder (hard links
#      to the distinct files, so the folder costs no disk), default 10,000.
# Benchmarks, not tests: exit 0 even when a goal is missed.
#
#   bash bench/run-detect-benchmarks.sh [--files N] [--batch N] [--runs N] [--keep]
# Env: BENCH_BUILD (default build-bench; RelWithDebInfo), TMPDIR, SHARED (default ../shared).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
files=40 batch=10000 runs=3 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-detect-benchmarks.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
build="$root/${BENCH_BUILD:-build-bench}"
shared="${SHARED:-$root/../shared}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVERITRACE_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target veritrace_cli >/dev/null
vt="$build/veritrace"
work=$(mktemp -d "${TMPDIR:-/tmp}/vt-detect-bench.XXXXXX")
[ $keep = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/distinct" "$work/batch"

# 1024-px JPEGs (long side 1024, quality 90) through our own encoder: bench_detect_inputs is a
# tiny program in bench/ that decodes, resizes and re-encodes.
cmake --build "$build" --target bench_detect_inputs >/dev/null
src=()
if [ -d "$shared/data/images/photos" ]; then
  while IFS= read -r f; do src+=("$f"); done < <(find "$shared/data/images/photos" "$shared/data/images/gan_dev" -name '*.jpg' | sort)
fi
"$build/bench/bench_detect_inputs" "$work/distinct" "$files" "${src[@]}"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== throughput: $files distinct 1024-px JPEGs, default detectors, --threads 2 ($runs runs)"
walls=()
for i in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  "$vt" detect --no-repo --jsonl --threads 2 "$work/distinct" > "$work/run.jsonl" || true
  t1=$(date +%s.%N)
  walls+=("$(echo "$t1 - $t0" | bc -l)")
done
wall=$(printf '%s\n' "${walls[@]}" | median)
echo "   wall per run (s): ${walls[*]}; median $wall s -> $(echo "$files / $wall" | bc -l | xargs printf '%.1f') files/s"

echo "== per-detector CPU (median ms per file, --threads 1)"
"$vt" detect --no-repo --jsonl --threads 1 "$work/distinct" > "$work/one.jsonl" || true
python3 - "$work/one.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
per = {}
for r in rows:
    for d in r.get("detectors", []):
        per.setdefault(d["name"], []).append(d["timing_ms"])
print("   %-12s %8s" % ("detector", "median"))
for k, v in per.items():
    print("   %-12s %8.1f" % (k, statistics.median(v)))
print("   %-12s %8.1f" % ("whole file", statistics.median(r["timing_ms"] for r in rows)))
PY

echo "== memory: $batch files (hard links), one run, --threads 2"
i=0
while [ $i -lt "$batch" ]; do
  for f in "$work"/distinct/*.jpg; do
    [ $i -lt "$batch" ] || break
    ln "$f" "$work/batch/$(printf '%06d' $i).jpg"
    i=$((i + 1))
  done
done
/usr/bin/time -v "$vt" detect --no-repo --jsonl --threads 2 "$work/batch" > "$work/batch.jsonl" 2> "$work/time.txt" || true
rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
el=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$work/time.txt")
echo "   peak RSS $((rss / 1024)) MB over $(wc -l < "$work/batch.jsonl") reports, wall $el"
