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

# Big-endian bytes as printf escapes: be16 N, be32 N.
be16() { printf '\\x%02x\\x%02x' $(( ($1 >> 8) & 255 )) $(( $1 & 255 )); }
be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(( ($1 >> 24) & 255 )) $(( ($1 >> 16) & 255 )) $(( ($1 >> 8) & 255 )) $(( $1 & 255 )); }

# make_camera_jpeg IN OUT: IN (a 4:3 JPEG) as a camera writes it: an APP1 Exif segment with a
# 160x120 IFD1 thumbnail and an APP2 MPF index whose second image, a 1440x1080 "large thumbnail
# class 2" preview, follows the main image (CIPA DC-007). The previews come from ffmpeg.
make_camera_jpeg() {
  local in="$1" out="$2" thumb="$2.thumb.jpg" prev="$2.prev.jpg" tlen plen insize app1len primary mpf_tiff
  ffmpeg -hide_banner -loglevel error -y -i "$in" -vf scale=160:120 -q:v 4 "$thumb"
  ffmpeg -hide_banner -loglevel error -y -i "$in" -vf scale=1440:1080 -q:v 3 "$prev"
  tlen=$(stat -c %s "$thumb"); plen=$(stat -c %s "$prev"); insize=$(stat -c %s "$in")
  app1len=$(( 2 + 6 + 68 + tlen ))
  primary=$(( 2 + 2 + app1len + 2 + 88 + insize - 2 ))
  mpf_tiff=$(( 2 + 2 + app1len + 4 + 4 ))
  {
    printf '\xff\xd8'
    # APP1: Exif, TIFF MM; IFD0 (Orientation 1) -> IFD1 (Compression 6, thumbnail offset/length).
    printf "\\xff\\xe1$(be16 $app1len)Exif\\x00\\x00MM$(be16 42)$(be32 8)"
    printf "$(be16 1)$(be16 0x0112)$(be16 3)$(be32 1)$(be16 1)$(be16 0)$(be32 26)"
    printf "$(be16 3)$(be16 0x0103)$(be16 3)$(be32 1)$(be16 6)$(be16 0)"
    printf "$(be16 0x0201)$(be16 4)$(be32 1)$(be32 68)$(be16 0x0202)$(be16 4)$(be32 1)$(be32 $tlen)$(be32 0)"
    cat "$thumb"
    # APP2: MPF index, two entries: this image, then the preview after it.
    printf "\\xff\\xe2$(be16 88)MPF\\x00MM$(be16 42)$(be32 8)"
    printf "$(be16 3)$(be16 0xB000)$(be16 7)$(be32 4)0100$(be16 0xB001)$(be16 4)$(be32 1)$(be32 2)"
    printf "$(be16 0xB002)$(be16 7)$(be32 32)$(be32 50)$(be32 0)"
    printf "$(be32 0x20030000)$(be32 $primary)$(be32 0)$(be32 0)"
    printf "$(be32 0x00010002)$(be32 $plen)$(be32 $(( primary - mpf_tiff )))$(be32 0)"
    tail -c +3 "$in"
    cat "$prev"
  } >"$out"
  rm -f "$thumb" "$prev"
}
