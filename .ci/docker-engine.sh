#!/usr/bin/env bash
# Make a Docker engine available for the container tests, or stop the one this script started.
#
#   .ci/docker-engine.sh start <logfile> <pidfile>   exit 0 once `docker info` works (installs docker.io if
#                                                    dockerd is missing); writes the pid of a dockerd it started
#                                                    to <pidfile> (nothing if an engine was already running)
#   .ci/docker-engine.sh stop <pidfile>              stops that dockerd (no-op if the pidfile is empty/missing)
#
# The engine runs with the vfs storage driver (works in any container/VM, no overlayfs needed), without iptables
# and without the default bridge, so containers must use `--network host` to reach services on 127.0.0.1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"

start() {
  local log="$1" pidfile="$2" pid i
  : >"$pidfile"
  if docker info >/dev/null 2>&1; then
    echo "[docker-engine] an engine is already running; using it" >&2
    return 0
  fi
  local pkgs=()
  command -v dockerd >/dev/null || pkgs+=(docker.io)
  command -v debootstrap >/dev/null || pkgs+=(debootstrap)
  if ((${#pkgs[@]})); then
    echo "[docker-engine] apt-get install ${pkgs[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >&2
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null >&2
  fi
  command -v dockerd >/dev/null || ci_die "dockerd still missing after installing docker.io"
  echo "[docker-engine] starting dockerd (vfs, no iptables, no bridge); log: $log" >&2
  # setsid: its own process group, so a Ctrl-C of the CI run does not race our orderly stop.
  setsid dockerd --storage-driver=vfs --iptables=false --bridge=none >"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    if docker info >/dev/null 2>&1; then
      echo "[docker-engine] dockerd (pid $pid) up after ${i}s" >&2
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  echo "[docker-engine] dockerd did not come up within ${WAIT_SECONDS}s; last log lines:" >&2
  tail -n 30 "$log" >&2 || true
  stop "$pidfile"
  return 1
}

stop() {
  local pidfile="$1" pid i
  [[ -s "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  : >"$pidfile"
  kill -0 "$pid" 2>/dev/null || return 0
  echo "[docker-engine] stopping dockerd (pid $pid)" >&2
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  echo "[docker-engine] dockerd did not exit after 30s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start "${2:?logfile}" "${3:?pidfile}" ;;
  stop) stop "${2:?pidfile}" ;;
  *) echo "usage: $0 start <logfile> <pidfile> | stop <pidfile>" >&2; exit 2 ;;
esac
