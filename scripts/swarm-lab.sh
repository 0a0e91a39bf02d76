#!/usr/bin/env bash
# A Docker Swarm lab on this one machine: N dockerds (default 3), each in its own network,
# mount and UTS namespace, joined by a bridge in a "hub" namespace, plus a registry they all
# reach. Needs root, iproute2, util-linux, docker.io, docker-registry, curl.
#
#   scripts/swarm-lab.sh up          build it (idempotent); ends with the `export` lines
#   scripts/swarm-lab.sh env         print the `export` lines again
#   scripts/swarm-lab.sh push IMG..  copy prefix/name:tag from the main engine to <registry>/name:tag
#   scripts/swarm-lab.sh status      what exists (namespaces, daemons, swarm, addresses)
#   scripts/swarm-lab.sh down        remove every trace (keeps the unreachable route)
#   scripts/swarm-lab.sh node-stop N [SIGNAL]  stop node N's dockerd (default SIGKILL: a crash)
#   scripts/swarm-lab.sh node-start N          start it again (same data-root; leftovers of a
#                                              crash are killed first, like a reboot)
#   scripts/swarm-lab.sh node-restart N        node-stop N TERM, then node-start N
#
# Environment (so that labs can coexist):
#   LAB_NAME   prefix of namespaces, links, cgroups and files ([a-z][a-z0-9]{0,7}; default dlab)
#   LAB_NET    the second octet of the lab range 10.LAB_NET.0.0/16 (default 213): the host is
#              10.LAB_NET.0.1, node i is 10.LAB_NET.0.(10+i)
#   LAB_NODES  number of nodes, 1..9 (default 3)
#   LAB_SWARM  1: node 1 is a Swarm manager, the others join as workers; 0: plain engines
#   LAB_REGISTRY_PORT  the registry's port on the host's lab address (default 5000)
#   LAB_REGISTRY_AUTH  USER:PASSWORD: the registry requires basic auth (bcrypt htpasswd);
#              `push` logs in with it through a client config of the lab's own
#   LAB_MAIN_DOCKER_HOST  the engine `push` copies from (default unix:///var/run/docker.sock;
#              DOCKER_HOST is ignored so that the lab's own exports can stay in the shell)
#
# Traffic rule: a lab address stays on this machine only while the lab's link exists. `up`
# installs `unreachable 10.LAB_NET.0.0/16 metric 4000` and nothing removes it (the link's
# connected /24 wins while it exists; without it the kernel answers "No route to host"), and
# every request this script makes to a lab address is pinned to the lab's interface after
# checking that it exists.
set -euo pipefail

LAB_NAME="${LAB_NAME:-dlab}"
LAB_NET="${LAB_NET:-213}"
LAB_NODES="${LAB_NODES:-3}"
LAB_SWARM="${LAB_SWARM:-1}"
LAB_REGISTRY_PORT="${LAB_REGISTRY_PORT:-5000}"
MAIN_DOCKER_HOST="${LAB_MAIN_DOCKER_HOST:-unix:///var/run/docker.sock}"
LAB_REGISTRY_AUTH="${LAB_REGISTRY_AUTH:-}"
[[ -z "$LAB_REGISTRY_AUTH" || "$LAB_REGISTRY_AUTH" =~ ^[A-Za-z0-9._-]+:[^[:space:]]+$ ]] || die "LAB_REGISTRY_AUTH must be USER:PASSWORD"

die() { echo "swarm-lab: $*" >&2; exit 1; }
say() { echo "swarm-lab: $*" >&2; }

[[ "$LAB_NAME" =~ ^[a-z][a-z0-9]{0,7}$ ]] || die "LAB_NAME must match [a-z][a-z0-9]{0,7}, got '$LAB_NAME'"
[[ "$LAB_NET" =~ ^[0-9]{1,3}$ ]] && (( LAB_NET >= 1 && LAB_NET <= 254 )) || die "LAB_NET must be 1..254, got '$LAB_NET'"
[[ "$LAB_NODES" =~ ^[1-9]$ ]] || die "LAB_NODES must be 1..9, got '$LAB_NODES'"
[[ "$LAB_SWARM" =~ ^[01]$ ]] || die "LAB_SWARM must be 0 or 1, got '$LAB_SWARM'"
[[ "$LAB_REGISTRY_PORT" =~ ^[0-9]{1,5}$ ]] && (( LAB_REGISTRY_PORT >= 1 && LAB_REGISTRY_PORT <= 65535 )) \
  || die "LAB_REGISTRY_PORT must be 1..65535, got '$LAB_REGISTRY_PORT'"
[[ $EUID -eq 0 ]] || die "must run as root (namespaces, links, dockerd)"

RANGE="10.$LAB_NET.0.0/16"
HOST_IP="10.$LAB_NET.0.1"
HOST_LINK="$LAB_NAME-host"          # root-namespace end of the host's veth
HUB_NS="$LAB_NAME-hub"
REGISTRY="$HOST_IP:$LAB_REGISTRY_PORT"
STATE="/var/lib/deployster-lab/$LAB_NAME"   # data-roots, configs, logs, registry storage
RUN="/run/$LAB_NAME"                        # exec-roots, sockets, pidfiles (short paths)

node_ns() { echo "$LAB_NAME-n$1"; }
node_ip() { echo "10.$LAB_NET.0.$((10 + $1))"; }
node_sock() { echo "$RUN/n$1.sock"; }
node_pidfile() { echo "$RUN/n$1.pid"; }
node_cgroup() { echo "$LAB_NAME-n$1"; }
# The lab's own client config (registry credentials), never the user's ~/.docker.
node_docker() { local n="$1"; shift; DOCKER_CONFIG="$STATE/client" docker -H "unix://$(node_sock "$n")" "$@"; }

# --- safety: the unreachable route and the link check ------------------------------------
ensure_unreachable_route() {
  if ! ip route show type unreachable "$RANGE" | grep -q .; then
    ip route add unreachable "$RANGE" metric 4000
  fi
}

require_link() {
  ip link show "$HOST_LINK" >/dev/null 2>&1 || die "the lab link $HOST_LINK does not exist (run up first)"
}

# curl to a lab address, pinned to the lab's interface.
lab_curl() {
  require_link
  curl --interface "$HOST_LINK" --noproxy '*' -sS --max-time 3 "$@"
}

# --- network -------------------------------------------------------------------------------
ns_exists() { [[ -e "/run/netns/$1" ]]; }

ensure_hub() {
  if ! ns_exists "$HUB_NS"; then ip netns add "$HUB_NS"; fi
  ip -n "$HUB_NS" link set lo up
  if ! ip -n "$HUB_NS" link show br0 >/dev/null 2>&1; then
    ip -n "$HUB_NS" link add br0 type bridge
  fi
  ip -n "$HUB_NS" link set br0 up
  if ! ip link show "$HOST_LINK" >/dev/null 2>&1; then
    ip -n "$HUB_NS" link del host 2>/dev/null || true
    ip link add "$HOST_LINK" type veth peer name "$LAB_NAME-hp"
    ip link set "$LAB_NAME-hp" netns "$HUB_NS"
    ip -n "$HUB_NS" link set "$LAB_NAME-hp" name host
    ip -n "$HUB_NS" link set host master br0 up
    ip addr add "$HOST_IP/24" dev "$HOST_LINK"
    ip link set "$HOST_LINK" up
  fi
}

ensure_node_net() {
  local n="$1" ns; ns="$(node_ns "$n")"
  if ! ns_exists "$ns"; then ip netns add "$ns"; fi
  ip -n "$ns" link set lo up
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    ip -n "$HUB_NS" link del "n$n" 2>/dev/null || true
    ip link add "$LAB_NAME-n${n}a" type veth peer name "$LAB_NAME-n${n}b"
    ip link set "$LAB_NAME-n${n}a" netns "$HUB_NS"
    ip -n "$HUB_NS" link set "$LAB_NAME-n${n}a" name "n$n"
    ip -n "$HUB_NS" link set "n$n" master br0 up
    ip link set "$LAB_NAME-n${n}b" netns "$ns"
    ip -n "$ns" link set "$LAB_NAME-n${n}b" name eth0
    ip -n "$ns" addr add "$(node_ip "$n")/24" dev eth0
    ip -n "$ns" link set eth0 up
  fi
}

# --- registry ------------------------------------------------------------------------------
registry_running() { [[ -f "$RUN/registry.pid" ]] && kill -0 "$(cat "$RUN/registry.pid")" 2>/dev/null; }

ensure_registry() {
  registry_running && return 0
  mkdir -p "$STATE/registry" "$STATE/client"
  local auth=""
  if [[ -n "$LAB_REGISTRY_AUTH" ]]; then
    htpasswd -Bbn "${LAB_REGISTRY_AUTH%%:*}" "${LAB_REGISTRY_AUTH#*:}" >"$STATE/registry/htpasswd"
    auth=$'auth:\n  htpasswd:\n    realm: swarm-lab\n    path: '"$STATE/registry/htpasswd"
    printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf '%s' "$LAB_REGISTRY_AUTH" | base64 -w0)" >"$STATE/client/config.json"
  else
    echo '{}' >"$STATE/client/config.json"
  fi
  cat >"$STATE/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
$auth
EOF
  setsid env -u REGISTRY_HTTP_ADDR docker-registry serve "$STATE/registry/config.yml" \
    >"$STATE/registry/registry.log" 2>&1 </dev/null &
  echo $! >"$RUN/registry.pid"
}

wait_registry() {
  local deadline=$((SECONDS + 20))
  # 200, or 401 when it requires auth: either way it answers.
  until [[ "$(lab_curl -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/" 2>/dev/null || true)" =~ ^(200|401)$ ]]; do
    registry_running || { tail -n 20 "$STATE/registry/registry.log" >&2; die "the registry exited"; }
    (( SECONDS < deadline )) || die "the registry did not answer on $REGISTRY"
    sleep 0.2
  done
}

# --- nodes ---------------------------------------------------------------------------------
node_pid() { local f; f="$(node_pidfile "$1")"; [[ -s "$f" ]] && cat "$f"; }
node_running() { local pid; pid="$(node_pid "$1")" && kill -0 "$pid" 2>/dev/null; }

write_node_config() {
  local n="$1" dir="$STATE/n$1"
  mkdir -p "$dir/data" "$RUN"
  cat >"$dir/daemon.json" <<EOF
{
  "data-root": "$dir/data",
  "exec-root": "$RUN/e$n",
  "pidfile": "$(node_pidfile "$n")",
  "hosts": ["unix://$(node_sock "$n")"],
  "deprecated-key-path": "$dir/key.json",
  "bip": "10.$LAB_NET.$((10 + n)).1/24",
  "default-address-pools": [{"base": "10.$LAB_NET.$((64 + 16 * n)).0/20", "size": 24}],
  "cgroup-parent": "/$(node_cgroup "$n")",
  "insecure-registries": ["$REGISTRY"],
  "log-level": "warn"
}
EOF
}

# Processes left by a node: in its network namespace (containerd, shims) or in its cgroups
# (containers, which have namespaces of their own).
node_leftover_pids() {
  local n="$1" ns cg f
  ns="$(node_ns "$n")"; cg="$(node_cgroup "$n")"
  { if ns_exists "$ns"; then ip netns pids "$ns" 2>/dev/null || true; fi
    for f in /sys/fs/cgroup/*/"$cg"; do
      [[ -d "$f" ]] && find "$f" -name cgroup.procs -exec cat {} + 2>/dev/null
    done
  } | sort -un
}

# The socket a containerd shim listens on: /run/containerd/s/sha256("<address>/<ns>/<id>")
# (containerd's own rule); a killed shim leaves it behind.
shim_socket() {
  local cmd addr ns id
  cmd="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 0
  [[ "$cmd" == *containerd-shim* ]] || return 0
  addr="$(sed -n 's/.* -address \([^ ]*\).*/\1/p' <<<"$cmd")"
  ns="$(sed -n 's/.* -namespace \([^ ]*\).*/\1/p' <<<"$cmd")"
  id="$(sed -n 's/.* -id \([^ ]*\).*/\1/p' <<<"$cmd")"
  [[ "$addr" == "$RUN/"* && -n "$ns" && -n "$id" ]] || return 0
  echo "/run/containerd/s/$(printf '%s' "$addr/$ns/$id" | sha256sum | cut -c1-64)"
}

kill_node_leftovers() {
  local n="$1" pids i p sockets=()
  for i in 1 2 3 4 5 6 7 8 9 10; do
    mapfile -t pids < <(node_leftover_pids "$n")
    if [[ ${#pids[@]} -eq 0 ]]; then
      [[ ${#sockets[@]} -gt 0 ]] && rm -f "${sockets[@]}"
      return 0
    fi
    for p in "${pids[@]}"; do sockets+=($(shim_socket "$p")); done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.2
  done
  say "node $n: processes still alive: ${pids[*]}"
}

start_node() {
  local n="$1" ns; ns="$(node_ns "$n")"
  node_running "$n" && return 0
  kill_node_leftovers "$n"
  # Like a boot (/run is a tmpfs): the runtime state of the dead daemon and its containerd goes.
  # A task that was being started while dockerd stopped leaves its shim directory here, and
  # the next containerd then fails every start of that container ("failed to start shim").
  rm -rf "$RUN/e$n"
  rm -f "$(node_pidfile "$n")" "$(node_sock "$n")"
  write_node_config "$n"
  setsid unshare --mount --uts --propagation slave -- nsenter --net="/run/netns/$ns" -- \
    sh -c "hostname $LAB_NAME-node$n && exec dockerd --config-file $STATE/n$n/daemon.json" \
    >>"$STATE/n$n/dockerd.log" 2>&1 </dev/null &
}

wait_node() {
  local n="$1" deadline=$((SECONDS + 60))
  until node_docker "$n" version >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then
      tail -n 20 "$STATE/n$n/dockerd.log" >&2
      die "node $n: dockerd did not answer on $(node_sock "$n")"
    fi
    sleep 0.2
  done
}

stop_node() {
  local n="$1" sig="${2:-TERM}" pid i
  pid="$(node_pid "$n")" || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "node $n: dockerd $pid ignored SIG$sig for 15 s, killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  die "node $n: dockerd $pid did not exit"
}

swarm_state() { node_docker "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

ensure_swarm() {
  local n ip token
  if [[ "$(swarm_state 1)" != active ]]; then
    node_docker 1 swarm init --advertise-addr "$(node_ip 1)" --listen-addr "$(node_ip 1):2377" \
      --default-addr-pool "10.$LAB_NET.224.0/19" --default-addr-pool-mask-length 24 >/dev/null
  fi
  token="$(node_docker 1 swarm join-token -q worker)"
  for ((n = 2; n <= LAB_NODES; n++)); do
    [[ "$(swarm_state "$n")" == active ]] && continue
    ip="$(node_ip "$n")"
    node_docker "$n" swarm join --token "$token" --advertise-addr "$ip" --listen-addr "$ip:2377" \
      "$(node_ip 1):2377" >/dev/null
  done
  local deadline=$((SECONDS + 60)) ready
  while :; do
    ready="$(node_docker 1 node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$' || true)"
    (( ready >= LAB_NODES )) && break
    (( SECONDS < deadline )) || die "only $ready of $LAB_NODES nodes are Ready"
    sleep 0.3
  done
}

print_env() {
  echo "export DOCKER_HOST=unix://$(node_sock 1)"
  echo "export DEPLOYSTER_LAB_REGISTRY=$REGISTRY"
}

# --- commands ------------------------------------------------------------------------------
cmd_up() {
  local n started=$SECONDS
  ensure_unreachable_route
  mkdir -p "$STATE" "$RUN"
  ensure_hub
  for ((n = 1; n <= LAB_NODES; n++)); do ensure_node_net "$n"; done
  ensure_registry
  for ((n = 1; n <= LAB_NODES; n++)); do start_node "$n"; done
  for ((n = 1; n <= LAB_NODES; n++)); do wait_node "$n"; done
  wait_registry
  [[ "$LAB_SWARM" == 1 ]] && ensure_swarm
  say "up in $((SECONDS - started)) s: $LAB_NODES node(s) $(for ((n = 1; n <= LAB_NODES; n++)); do printf '%s ' "$(node_ip "$n")"; done)registry $REGISTRY"
  print_env
}

cmd_push() {
  [[ $# -gt 0 ]] || die "usage: push IMAGE..."
  require_link
  node_running 1 || die "node 1 is not running (run up first)"
  local img name target
  for img in "$@"; do
    [[ "$img" =~ ^[a-z0-9][a-z0-9._-]*(:[0-9]{1,5})?(/[a-z0-9][a-z0-9._-]*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$ ]] \
      || die "not an image reference: '$img'"
    [[ "${img##*/}" == *:* ]] || img="$img:latest"
    name="${img##*/}"
    target="$REGISTRY/$name"
    docker -H "$MAIN_DOCKER_HOST" image inspect "$img" >/dev/null 2>&1 || die "no image $img in the main engine"
    docker -H "$MAIN_DOCKER_HOST" save "$img" | node_docker 1 load >/dev/null
    node_docker 1 tag "$img" "$target"
    node_docker 1 push "$target" >/dev/null
    node_docker 1 rmi "$img" >/dev/null 2>&1 || true
    echo "$target"
  done
}

cmd_status() {
  local n pid state
  echo "lab $LAB_NAME: range $RANGE, host $HOST_IP ($HOST_LINK), registry $REGISTRY"
  if ip link show "$HOST_LINK" >/dev/null 2>&1; then echo "link $HOST_LINK: up"; else echo "link $HOST_LINK: absent"; fi
  if ns_exists "$HUB_NS"; then echo "hub $HUB_NS: present"; else echo "hub $HUB_NS: absent"; fi
  if registry_running; then echo "registry: running (pid $(cat "$RUN/registry.pid"))"; else echo "registry: stopped"; fi
  for ((n = 1; n <= LAB_NODES; n++)); do
    if node_running "$n"; then pid="$(node_pid "$n")"; state="running (pid $pid), swarm $(swarm_state "$n")"
    else state="stopped"; fi
    echo "node $n: $(node_ip "$n") netns $(node_ns "$n") socket unix://$(node_sock "$n") dockerd $state"
  done
  if ip route show type unreachable "$RANGE" | grep -q .; then echo "route: unreachable $RANGE present"
  else echo "route: unreachable $RANGE MISSING"; fi
  if [[ "$LAB_SWARM" == 1 ]] && node_running 1; then node_docker 1 node ls 2>/dev/null || true; fi
}

cmd_down() {
  # Every node a lab of this name may have (also one brought up with a larger LAB_NODES).
  local n started=$SECONDS all=9
  ensure_unreachable_route
  if [[ "$LAB_SWARM" == 1 ]]; then
    for ((n = all; n >= 1; n--)); do
      node_running "$n" && node_docker "$n" swarm leave --force >/dev/null 2>&1 || true
    done
  fi
  for ((n = 1; n <= all; n++)); do
    if node_running "$n"; then
      # shellcheck disable=SC2046
      node_docker "$n" ps -aq | xargs -r docker -H "unix://$(node_sock "$n")" rm -f >/dev/null 2>&1 || true
    fi
  done
  for ((n = 1; n <= all; n++)); do stop_node "$n" TERM & done
  wait
  for ((n = 1; n <= all; n++)); do kill_node_leftovers "$n"; done
  if registry_running; then
    local rpid; rpid="$(cat "$RUN/registry.pid")"
    kill -TERM "$rpid" 2>/dev/null || true
    for ((n = 0; n < 50; n++)); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$rpid" 2>/dev/null || true
  fi
  for ((n = 1; n <= all; n++)); do
    ip netns del "$(node_ns "$n")" 2>/dev/null || true
    local cg; cg="$(node_cgroup "$n")"
    for f in /sys/fs/cgroup/*/"$cg"; do
      [[ -d "$f" ]] && find "$f" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  done
  if ns_exists "$HUB_NS"; then
    ip netns pids "$HUB_NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$HUB_NS"
  fi
  ip link del "$HOST_LINK" 2>/dev/null || true
  for ((n = 1; n <= 9; n++)); do ip link del "$LAB_NAME-n${n}a" 2>/dev/null || true; ip link del "$LAB_NAME-n${n}b" 2>/dev/null || true; done
  ip link del "$LAB_NAME-hp" 2>/dev/null || true
  # The data-roots hold overlay mounts only inside the nodes' own mount namespaces, which
  # died with their processes; anything still mounted below here is a bug worth seeing.
  if grep -q " $STATE/" /proc/mounts; then
    grep " $STATE/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  fi
  rm -rf "$STATE" "$RUN"
  rmdir /var/lib/deployster-lab 2>/dev/null || true
  say "down in $((SECONDS - started)) s (route unreachable $RANGE kept)"
}

node_arg() {
  [[ "${1:-}" =~ ^[1-9]$ ]] && (( $1 <= LAB_NODES )) || die "node number must be 1..$LAB_NODES, got '${1:-}'"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  up) cmd_up ;;
  env) print_env ;;
  push) cmd_push "$@" ;;
  status) cmd_status ;;
  down) cmd_down ;;
  node-stop)
    node_arg "${1:-}"; sig="${2:-KILL}"
    [[ "$sig" =~ ^(KILL|TERM|INT)$ ]] || die "signal must be KILL, TERM or INT"
    stop_node "$1" "$sig" ;;
  node-start) node_arg "${1:-}"; require_link; start_node "$1"; wait_node "$1" ;;
  node-restart) node_arg "${1:-}"; require_link; stop_node "$1" TERM; start_node "$1"; wait_node "$1" ;;
  *) die "usage: swarm-lab.sh up|env|push IMAGE...|status|down|node-stop N [KILL|TERM]|node-start N|node-restart N" ;;
esac
