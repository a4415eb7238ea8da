# Helpers shared by .ci/run and the other .ci scripts. Source it; it defines functions only.
# shellcheck shell=bash

CI_CACHE_DIR="${SOURCE_DESCOPE_CACHE:-/var/cache/source-descope}"

ci_log() { printf '\n\033[1m[ci %(%H:%M:%S)T] %s\033[0m\n' -1 "$*" >&2; }
ci_die() { printf '[ci] ERROR: %s\n' "$*" >&2; exit 1; }

# node_bin_dir <major>: prints a directory whose `node` is the official Node <major> binary that the npm package
# `node@<major>` installs (it ships as `node-linux-<arch>`). Unpacked under $CI_CACHE_DIR, so reruns are offline
# and the exact version matches the one docker/build-base-image.sh put into the base image (same npm tarball).
node_bin_dir() {
  local major="$1" arch tgz dir packs
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) ci_die "unsupported arch $(uname -m)" ;; esac
  packs="$CI_CACHE_DIR/npm-packs"
  mkdir -p "$packs"
  tgz="$(cd "$packs" && npm pack --silent --pack-destination "$packs" "node-linux-${arch}@${major}" | tail -n1)"
  [[ -s "$packs/$tgz" ]] || ci_die "npm pack node-linux-${arch}@${major} failed"
  dir="$CI_CACHE_DIR/${tgz%.tgz}"
  if [[ ! -x "$dir/bin/node" ]]; then
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    tar -C "$dir.tmp" --strip-components=1 --no-same-owner -xzf "$packs/$tgz"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  "$dir/bin/node" --version >/dev/null || ci_die "$dir/bin/node does not run on this machine"
  echo "$dir/bin"
}

# docker_build_cmd: prints the command (one word per line) that builds with BuildKit if this machine can, else the
# legacy builder. BuildKit matters on vfs: the legacy builder commits a full rootfs copy for every instruction
# (~4 min for our Dockerfile here vs ~1 min).
docker_build_cmd() {
  if docker buildx version >/dev/null 2>&1; then
    printf '%s\n' docker build                                # buildx plugin: BuildKit is the default
  elif [[ -x /usr/bin/docker ]] && /usr/bin/docker version --format '{{.Client.Version}}' 2>/dev/null \
      | grep -Eq '^(18\.09|19\.|20\.|2[12]\.)'; then
    printf '%s\n' env DOCKER_BUILDKIT=1 /usr/bin/docker build  # the engine package's CLI has BuildKit built in
  else
    printf '%s\n' env DOCKER_BUILDKIT=0 docker build          # legacy builder (works, slower)
  fi
}
