#!/usr/bin/env bash
# Compiles the single executable bin/deployster: the one place the compile flags live
# (package.json's build script, scripts/setup.sh and the tests all call this).
# --bytecode stores compiled JavaScript in the binary, so start-up skips parsing the bundle.
# The binary is written next to its target and renamed: a running binary never sees a
# half-written file, and rename avoids "text file busy".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
out="${1:-bin/deployster}"
tmp="$(dirname "$out")/.$(basename "$out").$$.tmp"
trap 'rm -f "$tmp"' EXIT
node_modules/.bin/bun build --compile --bytecode --format=esm bin/deployster.ts --outfile "$tmp"
mv -f "$tmp" "$out"
