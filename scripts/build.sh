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
# The runner agent first (a static C program, embedded in the executable): only when its
# source is newer. musl-gcc (Debian's musl-tools, over gcc) is installed by scripts/setup.sh.
agent_src=src/resource-types/runners/agent.c
agent=bin/deployster-agent
if [[ ! -x "$agent" || "$agent_src" -nt "$agent" ]]; then
  musl-gcc -static -Os -s -Wall -Wextra -Werror -o "$agent.$$.tmp" "$agent_src"
  mv -f "$agent.$$.tmp" "$agent"
fi
node_modules/.bin/bun build --compile --bytecode --format=esm bin/deployster.ts --outfile "$tmp"
mv -f "$tmp" "$out"
