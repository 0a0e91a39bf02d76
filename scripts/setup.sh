#!/usr/bin/env bash
# One-command set-up, idempotent: a fresh Debian 12 machine (root, node + npm only) gets
# everything the tests need; a machine that has it all passes through in a few seconds.
#
#   1. npm dependencies (brings Bun: node_modules/.bin/bun)
#   2. missing Debian packages (docker.io busybox-static docker-registry caddy docker-compose
#      apache2-utils chromium gcc musl-tools ...); their packaged caddy/docker-registry services
#      are stopped (the tests start their own on free loopback ports)
#   3. the Docker engine: started in the background when `docker info` fails
#   4. fixture images (scripts/build-fixture-images.sh)
#   5. the compiled binary bin/deployster, with the runner agent bin/deployster-agent
#      embedded (when a source is newer than it)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PACKAGES=(docker.io busybox-static docker-registry caddy docker-compose apache2-utils openssl bsdutils iproute2 util-linux curl chromium gcc musl-tools)
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
DOCKERD_WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"

step() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

SUDO=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=(sudo); fi
fi
as_root() {
  if [[ $EUID -ne 0 && ${#SUDO[@]} -eq 0 ]]; then die "need root for: $*"; fi
  "${SUDO[@]}" "$@"
}

# --- 1. npm -------------------------------------------------------------------------------
install_npm_deps() {
  command -v npm >/dev/null || die "npm is missing (install Node.js and npm first)"
  local why=""
  if [[ ! -d node_modules ]]; then why="node_modules missing"
  elif [[ ! -x node_modules/.bin/bun ]]; then why="node_modules/.bin/bun missing"
  elif [[ -f package-lock.json && ! -f node_modules/.package-lock.json ]]; then why="no install record"
  elif [[ -f package-lock.json && package-lock.json -nt node_modules/.package-lock.json ]]; then why="package-lock.json changed"
  elif [[ ! -f package-lock.json && package.json -nt node_modules ]]; then why="package.json changed"
  fi
  if [[ -z "$why" ]]; then step "npm dependencies: up to date"; return; fi
  local log; log="$(mktemp)"
  if [[ -f package-lock.json ]]; then
    step "npm dependencies: npm ci ($why)"
    npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1 || { cat "$log" >&2; die "npm ci failed"; }
  else
    step "npm dependencies: npm install ($why)"
    npm install --no-audit --no-fund --loglevel=error >"$log" 2>&1 || { cat "$log" >&2; die "npm install failed"; }
    touch node_modules
  fi
  rm -f "$log"
  [[ -x node_modules/.bin/bun ]] || die "npm finished but node_modules/.bin/bun is missing"
}

# --- 2. Debian packages -------------------------------------------------------------------
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do is_installed "$p" || echo "$p"; done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then step "debian packages: all present"; return; fi
  step "debian packages: installing ${missing[*]}"
  local log=/var/log/deployster-setup-apt.log
  # Package service starts are refused by policy (they fail on machines without an init
  # system, and the tests start their own daemons); a failing postinst start must not abort
  # us, so install under a policy-rc.d that refuses every start, then check what got in.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e "$policy" ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    own_policy=1
  fi
  local env=(env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 NEEDRESTART_SUSPEND=1)
  local rc=0
  as_root "${env[@]}" apt-get update -q >"$log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    as_root "${env[@]}" apt-get install -y -q "${missing[@]}" >>"$log" 2>&1 || rc=$?
  fi
  [[ $own_policy -eq 1 ]] && as_root rm -f "$policy"
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -gt 0 ]]; then
    tail -n 30 "$log" >&2
    die "apt-get could not install: ${missing[*]} (full log: $log)"
  fi
  [[ $rc -eq 0 ]] || step "debian packages: apt-get exited $rc but every package is installed (see $log)"
}

# The packaged caddy / docker-registry services would hold ports and state we do not want;
# stop and disable them if they run (nothing to do on machines without an init system).
stop_packaged_services() {
  local svc stopped=()
  for svc in caddy caddy-api docker-registry; do
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
      if systemctl is-active --quiet "$svc" 2>/dev/null || systemctl is-enabled --quiet "$svc" 2>/dev/null; then
        as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
        stopped+=("$svc")
      fi
    elif [[ -x /etc/init.d/$svc ]] && "/etc/init.d/$svc" status >/dev/null 2>&1; then
      as_root "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
      stopped+=("$svc")
    fi
  done
  if [[ ${#stopped[@]} -gt 0 ]]; then step "packaged services: stopped ${stopped[*]}"; fi
}

# --- 3. Docker engine ---------------------------------------------------------------------
start_dockerd() {
  if docker info >/dev/null 2>&1; then step "docker engine: running"; return; fi
  if pgrep -x dockerd >/dev/null; then
    step "docker engine: dockerd is starting, waiting for it"
  elif [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null \
       && as_root systemctl start docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    step "docker engine: started the docker service"
    return
  else
    step "docker engine: starting dockerd (log: $DOCKERD_LOG)"
    as_root sh -c "setsid dockerd >>'$DOCKERD_LOG' 2>&1 < /dev/null &"
  fi
  local started=$SECONDS deadline=$((SECONDS + DOCKERD_WAIT_SECONDS))
  until docker info >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then
      echo "---- last lines of $DOCKERD_LOG ----" >&2
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "the Docker engine did not answer within ${DOCKERD_WAIT_SECONDS}s"
    fi
    sleep 0.5
  done
  step "docker engine: ready after $((SECONDS - started))s"
}

# --- 5. compiled binary -------------------------------------------------------------------
compile_binary() {
  local out=bin/deployster
  if [[ -x "$out" && -x bin/deployster-agent ]] && [[ -z "$(find bin/deployster.ts src package.json package-lock.json tsconfig.json \
        -newer "$out" -print -quit 2>/dev/null)" ]]; then
    step "binary: $out up to date"
    return
  fi
  step "binary: compiling $out"
  local log; log="$(mktemp)"
  if ! bash scripts/build.sh "$out" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; die "bun build --compile failed"
  fi
  rm -f "$log"
}

install_npm_deps
install_packages
stop_packaged_services
start_dockerd
step "fixture images:"
bash scripts/build-fixture-images.sh | sed 's/^/  /'
compile_binary
step "done"
