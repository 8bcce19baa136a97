#!/usr/bin/env bash
# Runs a Python test of the training tools (tools/train/) under CTest. Training is optional and
# Python is never needed at run time, so where Debian's python3 lacks what the test imports
# (python3-numpy, python3-torch, python3-pil) the test is skipped (exit 77) with the reason.
set -euo pipefail
test_file="$1"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: /usr/bin/python3 is not installed"; exit 77; }
if ! "$py" -c "import numpy, torch, PIL" 2>/dev/null; then
  echo "SKIP: python3-numpy, python3-torch or python3-pil is not installed (training tools only)"
  exit 77
fi
exec "$py" "$test_file"
