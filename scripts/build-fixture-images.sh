#!/usr/bin/env bash
# Build the fixture images offline: fixtures/images/busybox first (FROM scratch + Debian's
# busybox-static), then every other fixtures/images/<name>/ in alphabetical order.
#
#   bash scripts/build-fixture-images.sh            # all of them
#   bash scripts/build-fixture-images.sh app rt-sh  # the base image + these
#
# Tags: deployster-fixture/<name>:latest, or the lines of fixtures/images/<name>/TAGS:
#   <image-ref> [ARG=VALUE ...]      one `docker build` per line, ARGs become --build-arg
#   (blank lines and lines starting with # are ignored)
# Every image carries the label deployster.fixture=true. Docker's build cache makes an
# unchanged image a quick no-op. One line per image; a failing build prints its log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES="$ROOT/fixtures/images"
BASE_REF="deployster-fixture/busybox:latest"
BUSYBOX_BIN="${BUSYBOX_BIN:-/bin/busybox}"
# The legacy builder works offline with FROM scratch and needs no buildx plugin.
export DOCKER_BUILDKIT=0

WORK="$(mktemp -d "${TMPDIR:-/tmp}/deployster-fixtures.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

die() { echo "build-fixture-images: $*" >&2; exit 1; }

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# build_image <name> <context-dir> <ref> [ARG=VALUE ...]
build_image() {
  local name="$1" context="$2" ref="$3"; shift 3
  local args=(build --quiet --label deployster.fixture=true --tag "$ref")
  local kv
  for kv in "$@"; do
    [[ "$kv" == *=* ]] || die "$name/TAGS: build arg '$kv' is not ARG=VALUE"
    args+=(--build-arg "$kv")
  done
  local before after log="$WORK/build.log"
  before="$(image_id "$ref")"
  if ! docker "${args[@]}" "$context" >"$log" 2>&1; then
    echo "fixture $ref: BUILD FAILED ($context)" >&2
    cat "$log" >&2
    return 1
  fi
  after="$(image_id "$ref")"
  local what="built"
  [[ -n "$before" && "$before" == "$after" ]] && what="unchanged"
  after="${after#sha256:}"
  printf 'fixture %-40s %-9s %s\n' "$ref" "$what" "${after:0:12}"
}

# build_folder <name>: every tag of fixtures/images/<name> (its TAGS file or the default tag).
build_folder() {
  local name="$1" dir="$IMAGES/$1"
  [[ -f "$dir/Dockerfile" ]] || die "fixtures/images/$name has no Dockerfile"
  if [[ -f "$dir/TAGS" ]]; then
    local line fields found=0
    while IFS= read -r line || [[ -n "$line" ]]; do
      line="${line%%#*}"
      read -r -a fields <<<"$line" || true
      [[ ${#fields[@]} -gt 0 ]] || continue
      found=1
      build_image "$name" "$dir" "${fields[@]}"
    done <"$dir/TAGS"
    [[ $found -eq 1 ]] || die "fixtures/images/$name/TAGS lists no image"
  else
    build_image "$name" "$dir" "deployster-fixture/$name:latest"
  fi
}

build_base() {
  [[ -x "$BUSYBOX_BIN" ]] || die "$BUSYBOX_BIN is missing (Debian package busybox-static; run scripts/setup.sh)"
  local ctx="$WORK/busybox"
  mkdir -p "$ctx"
  cp -rp "$IMAGES/busybox/." "$ctx/"
  cp -p "$BUSYBOX_BIN" "$ctx/busybox"
  build_image busybox "$ctx" "$BASE_REF"
}

command -v docker >/dev/null || die "the docker CLI is missing (run scripts/setup.sh)"

names=()
if [[ $# -gt 0 ]]; then
  for n in "$@"; do
    n="${n%/}"; n="${n##*/}"
    [[ -d "$IMAGES/$n" ]] || die "no fixture folder fixtures/images/$n"
    [[ "$n" == busybox ]] || names+=("$n")
  done
else
  for d in "$IMAGES"/*/; do
    n="$(basename "$d")"
    [[ "$n" == busybox ]] || names+=("$n")
  done
fi

build_base
if [[ ${#names[@]} -gt 0 ]]; then
  mapfile -t names < <(printf '%s\n' "${names[@]}" | LC_ALL=C sort -u)
  for n in "${names[@]}"; do build_folder "$n"; done
fi
