#!/usr/bin/env bash
# gan_dev's files are 356x356 web-page thumbnails: a ~256 px picture inside a 48-50 px frame whose
# colour gives the label away (fakes: yellow, red, orange, blue, cyan, green or brown; reals: dark
# grey). Every figure on gan_dev must therefore be measured on the picture alone. This makes that
# copy: the central 224x224 crop at (64, 64) of every file (inside the picture; the offset keeps
# the JPEG 8x8 grid aligned), stored losslessly as PNG, with a labels.tsv of the same columns.
#
#   bash tools/data/gan_dev_content.sh [SRC_DIR] [OUT_DIR]
#   (defaults: ../shared/data/images/gan_dev  /tmp/gan_dev_content)
# Needs ffmpeg (scripts/deps-debian.txt). Derived data: never commit it.
set -euo pipefail
src="${1:-$(dirname "${BASH_SOURCE[0]}")/../../../shared/data/images/gan_dev}"
out="${2:-/tmp/gan_dev_content}"
mkdir -p "$out"
head -n 1 "$src/labels.tsv" > "$out/labels.tsv"
tail -n +2 "$src/labels.tsv" | while IFS=$'\t' read -r file rest; do
  png="${file%.jpg}.png"
  mkdir -p "$out/$(dirname "$png")"
  ffmpeg -loglevel error -y -i "$src/$file" -vf crop=224:224:64:64 "$out/$png" </dev/null
  printf '%s\t%s\n' "$png" "$rest" >> "$out/labels.tsv"
done
echo "wrote $(($(wc -l < "$out/labels.tsv") - 1)) crops to $out"
