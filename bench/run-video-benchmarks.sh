#!/usr/bin/env bash
# Video analysis speed and memory (issue: a 720p 30 fps clip analysed at least as fast as it plays on
# 2 cores with default sampling; memory bounded by the window, not the video's length).
#   bash bench/run-video-benchmarks.sh [BUILD_DIR] [REPS]
# Inputs are made here from a real clip of ../shared/data/video/dev (a face talking):
#   - 720p: dev_002.mp4 scaled to 1280x720 at 30 fps, 20 s (libx264 CRF 20, looped once);
#   - long: the 640x360 clip looped to LONG_MINUTES minutes (default 10) without re-encoding
#     (-stream_loop, -c copy); LONG_MINUTES=60 is the 1-hour memory check.
# Prints median wall time, the real-time factor (clip seconds / wall seconds) and peak RSS.
set -euo pipefail
build="${1:-build}"
reps="${2:-3}"
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/bench-lib.sh"
vt="$here/$build/veritrace"
shared="${VERITRACE_SHARED:-$here/../shared}"
clip="$shared/data/video/dev/dev_002.mp4"
[ -x "$vt" ] || { echo "bench: $vt not built" >&2; exit 2; }
[ -f "$clip" ] || { echo "bench: $clip missing (needs ../shared)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -nostdin -loglevel error -y -stream_loop 1 -i "$clip" -t 20 -vf scale=1280:720,fps=30 -c:v libx264 -crf 20 -pix_fmt yuv420p "$work/720p.mp4"
long_minutes="${LONG_MINUTES:-10}"
[[ "$long_minutes" =~ ^[0-9]+$ ]] && [ "$long_minutes" -ge 1 ] || { echo "bench: LONG_MINUTES must be a whole number >= 1" >&2; exit 2; }
ffmpeg -nostdin -loglevel error -y -stream_loop $((long_minutes * 6 - 1)) -i "$clip" -c copy "$work/long.mp4"
say "machine: $(cpu_model), $(nproc) cores, load $(loadavg)"
for input in 720p long; do
  f="$work/$input.mp4"
  dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
  n=$([ "$input" = long ] && echo 1 || echo "$reps")
  for _ in $(seq "$n"); do
    /usr/bin/time -f '%e %M' -o "$work/tm" "$vt" detect --json "$f" >/dev/null
    read -r wall rss <"$work/tm"
    echo "$wall" >>"$work/w-$input"
    echo "$rss" >>"$work/r-$input"
  done
  w=$(median <"$work/w-$input")
  r=$(sort -g "$work/r-$input" | tail -1)
  say "$input: ${dur}s clip, median wall ${w}s over $n run(s): $(ratio "$dur" "$w")x real time; peak RSS $((r / 1024)) MB"
done
