#!/usr/bin/env bash
# README command 1: set up (packages + build), then ask `veritrace detect` about the five example
# files (examples/README.md): an AI-labelled signed image, an image carrying SDXL's generator
# watermark, a photo with a cloned (copy-move) region, an unedited photo and a synthetic voice.
# Prints each command and its text verdict, writes one HTML report for all five to
# build/example-report.html, and
# ends with a short read of the signed example's Content Credentials.
#
#   bash scripts/run-example.sh [FILE...]    # default: the five examples
#
# The trust anchor examples/test-root.pem is a TEST root: never trust it outside tests.
# `veritrace detect` exits 1 when a file is flagged (synthetic or manipulated): expected here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

trust=examples/test-root.pem
report=build/example-report.html
if [ $# -gt 0 ]; then
  files=("$@")
else
  files=(examples/ai-generated-es256.jpg examples/sdxl-watermarked.png examples/copy-move.jpg examples/real-photo.jpg examples/synthetic-voice.flac)
fi

bash scripts/setup.sh --target veritrace_cli   # the CLI only: tests are built by test.sh

# Runs a command after printing it; exit 1 (a file was flagged) is an answer, not a failure.
run() {
  echo
  echo "\$ $*"
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "run-example.sh: the command above failed with exit code $rc" >&2
    exit "$rc"
  fi
}

for f in "${files[@]}"; do
  run build/veritrace detect "$f" --trust "$trust" --no-repo
done

echo
echo "\$ build/veritrace detect ${files[*]} --trust $trust --no-repo --html $report"
rc=0
build/veritrace detect "${files[@]}" --trust "$trust" --no-repo --html "$report" >/dev/null || rc=$?
[ "$rc" -le 1 ] || { echo "run-example.sh: writing the HTML report failed (exit $rc)" >&2; exit "$rc"; }
echo "HTML report for ${#files[@]} file(s): $(pwd)/$report (open it in a browser)"

# The signed example's Content Credentials, validated against the test root.
if [ $# -eq 0 ]; then
  run build/veritrace c2pa read examples/ai-generated-es256.jpg --trust "$trust"
fi
