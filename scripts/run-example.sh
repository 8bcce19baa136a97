#!/usr/bin/env bash
# README command 1: set up (packages + build), then read and validate the Content Credentials of
# the example image, first as text, then as JSON.
#
#   bash scripts/run-example.sh [FILE]    # default: examples/ai-generated-es256.jpg
#
# The trust anchor examples/test-root.pem is a TEST root: never trust it outside tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

file="${1:-examples/ai-generated-es256.jpg}"
trust=examples/test-root.pem

bash scripts/setup.sh --target veritrace_cli   # the CLI only: tests are built by test.sh

echo
echo "\$ build/veritrace c2pa read $file --trust $trust"
build/veritrace c2pa read "$file" --trust "$trust"
echo
echo "\$ build/veritrace c2pa read $file --trust $trust --json"
build/veritrace c2pa read "$file" --trust "$trust" --json
