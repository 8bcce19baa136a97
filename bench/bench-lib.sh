# Shared helpers for bench/run-benchmarks.sh and bench/run-sign-benchmarks.sh (sourced, not run).
# Callers set `work` (temp dir for media and timing files) before using time_one.

say() { printf '\n== %s\n' "$*" >&2; }
note() { printf '   %s\n' "$*" >&2; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
fmt_ms() { awk -v x="$1" 'BEGIN { if (x=="nan"||x=="") print "n/a"; else printf "%.1f", x*1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a==""||b==""||a=="nan"||b=="nan"||b+0==0) print "n/a"; else printf "%.2f", a/b }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_model() { grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }

# time_one LABEL CMD...: runs CMD (stdout to /dev/null), appends "wall user+sys" seconds to
# $work/t-LABEL (bash `time`).
time_one() {
  local label="$1" t
  shift
  local TIMEFORMAT='%3R %3U %3S'
  t=$( { time "$@" >/dev/null 2>"$work/last-stderr" ; } 2>&1 ) || {
    echo "bench: '$*' failed:" >&2; cat "$work/last-stderr" >&2; return 1; }
  awk '{printf "%s %.3f\n", $1, $2+$3}' <<<"$t" >>"$work/t-$label"
}

# make_big_jpeg OUT: 4000x3000 noise, quality ~95 (q:v 2): 9,962,753 bytes, deterministic
# (fixed random seeds). The input of the read and sign benchmarks.
make_big_jpeg() {
  ffmpeg -hide_banner -loglevel error -y -f lavfi \
    -i "nullsrc=s=4000x3000,format=yuv420p,geq=lum='random(1)*255':cb='128+(random(2)-0.5)*16':cr='128+(random(3)-0.5)*16'" \
    -frames:v 1 -q:v 2 "$1"
}

# make_large_mp4 OUT BYTES: 10 s of 1280x720 lossless H.264 (~20 MB), repeated with -c copy up to
# BYTES (a 2.1 GB unsigned MP4 by default). Uses OUT.clip.mp4 as scratch.
make_large_mp4() {
  local out="$1" bytes="$2" clip loops
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=1280x720:r=30" -t 10 \
    -c:v libx264 -preset ultrafast -qp 0 -pix_fmt yuv420p "$out.clip.mp4"
  clip=$(stat -c %s "$out.clip.mp4")
  loops=$(( bytes / clip + 1 ))
  ffmpeg -hide_banner -loglevel error -y -stream_loop "$loops" -i "$out.clip.mp4" -c copy -fs "$bytes" "$out"
  rm -f "$out.clip.mp4"
}
