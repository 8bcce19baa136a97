#!/usr/bin/env bash
# Voice analysis speed and memory (issue 15: the default audio detectors at least 50x real time on
# 2 cores; memory bounded whatever the length).
#   bash bench/run-audio-benchmarks.sh [BUILD_DIR] [REPS]
# Inputs made here:
#   - dev: every clip of ../shared/data/audio/dev joined into one FLAC (about 10.5 minutes of
#     speech, 16 kHz), analysed as one file (one core: a single stream is decoded in order);
#   - batch: the 99 dev clips as separate files, 2 at once (--threads 2), as `eval` runs them;
#   - long: the joined speech looped to LONG_MINUTES minutes (default 60) as 64 kbit/s MP3.
# Prints median wall time, the real-time factor (audio seconds / wall seconds) and peak RSS.
set -euo pipefail
build="${1:-build}"
reps="${2:-3}"
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/bench-lib.sh"
vt="$here/$build/veritrace"
shared="${VERITRACE_SHARED:-$here/../shared}"
dev="$shared/data/audio/dev"
[ -x "$vt" ] || { echo "bench: $vt not built" >&2; exit 2; }
[ -f "$dev/labels.tsv" ] || { echo "bench: $dev missing (needs ../shared)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in "$dev"/*.flac; do echo "file '$f'"; done >"$work/list.txt"
ffmpeg -nostdin -loglevel error -y -f concat -safe 0 -i "$work/list.txt" -c:a flac "$work/dev.flac"
long_minutes="${LONG_MINUTES:-60}"
[[ "$long_minutes" =~ ^[0-9]+$ ]] && [ "$long_minutes" -ge 1 ] || { echo "bench: LONG_MINUTES must be a whole number >= 1" >&2; exit 2; }
ffmpeg -nostdin -loglevel error -y -stream_loop -1 -i "$work/dev.flac" -t $((long_minutes * 60)) -c:a libmp3lame -b:a 64k "$work/long.mp3"
say "machine: $(cpu_model), $(nproc) cores, load $(loadavg)"
detectors="voice_gmm,voice_lcnn"
run_case() {  # name, seconds of audio, runs, command...
  local name=$1 dur=$2 n=$3
  shift 3
  for _ in $(seq "$n"); do
    /usr/bin/time -f '%e %M' -o "$work/tm" "$@" >/dev/null
    read -r wall rss <"$work/tm"
    echo "$wall" >>"$work/w-$name"
    echo "$rss" >>"$work/r-$name"
  done
  local w r
  w=$(median <"$work/w-$name")
  r=$(sort -g "$work/r-$name" | tail -1)
  say "$name: ${dur}s of audio, median wall ${w}s over $n run(s): $(ratio "$dur" "$w")x real time; peak RSS $((r / 1024)) MB"
}
dev_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/dev.flac")
run_case dev "$dev_s" "$reps" "$vt" detect --json --detectors "$detectors" "$work/dev.flac"
run_case batch "$dev_s" "$reps" "$vt" detect --jsonl --threads 2 --detectors "$detectors" "$dev"
long_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/long.mp3")
run_case long "$long_s" 1 "$vt" detect --json --detectors "$detectors" "$work/long.mp3"
