#!/usr/bin/env bash
# Build an offline stand-in for the official `node:<major>-bookworm-slim` image, for machines that have a Docker
# engine and Debian/npm mirrors but no image registry (CI, sandboxes).
#
#   docker/build-base-image.sh            -> builds (or reuses) source-descope-base:node24 and prints that tag
#   NODE_MAJOR=22 docker/build-base-image.sh
#
# What it does:
#   1. debootstrap --variant=minbase <suite> from the Debian mirror apt is configured with on this machine
#      (read from /etc/apt/sources.list*; override with DEBIAN_MIRROR). The resulting rootfs is cached as a
#      tarball under $CACHE_DIR so reruns on the same machine skip debootstrap.
#   2. adds the official Node binary shipped by the npm package `node-linux-<arch>@<major>` (the package that
#      `node@<major>` installs) as /usr/local/bin/node, and npm itself from the `npm` package, laid out like the
#      official image (/usr/local/lib/node_modules/npm, /usr/local/bin/{npm,npx}).
#   3. machine-specific plumbing that must never live in the Dockerfile: the host CA bundle that npm uses
#      (`npm config get cafile`, e.g. a TLS-intercepting proxy's CA) is copied into the image, NODE_EXTRA_CA_CERTS
#      points at it, and the global npmrc carries `cafile` and a non-default `registry`.
#   4. `docker import` with PATH/ENV/CMD set, then a smoke test (`node --version`, `npm --version`).
#
# Idempotent: if the tag already exists it is printed and nothing is rebuilt (FORCE=1 rebuilds).
# Only the tag goes to stdout; progress goes to stderr, so `BASE=$(docker/build-base-image.sh)` works.
set -euo pipefail

NODE_MAJOR="${NODE_MAJOR:-24}"
NPM_MAJOR="${NPM_MAJOR:-11}"          # the npm major that Node 24 ships with
SUITE="${DEBIAN_SUITE:-bookworm}"
TAG="${BASE_IMAGE_TAG:-source-descope-base:node${NODE_MAJOR}}"
CACHE_DIR="${SOURCE_DESCOPE_CACHE:-/var/cache/source-descope}"
FORCE="${FORCE:-0}"

log() { printf '[build-base-image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "Docker engine is not reachable (docker info failed)"

if [[ "$FORCE" != 1 ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
  log "image $TAG already exists; reusing it (FORCE=1 to rebuild)"
  echo "$TAG"
  exit 0
fi

case "$(uname -m)" in
  x86_64) DEB_ARCH=amd64 NODE_ARCH=x64 ;;
  aarch64) DEB_ARCH=arm64 NODE_ARCH=arm64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

# --- the Debian mirror, as apt on this machine is configured ------------------------------------------------
apt_mirror() {
  local f
  # deb822 *.sources: first stanza with Types: deb whose Suites contain $SUITE exactly.
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk -v suite="$SUITE" '
      function flush() { if (is_deb && has_suite && uri != "" && !done) { print uri; done = 1 } is_deb = has_suite = 0; uri = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) has_suite = 1 }
      tolower($1) == "enabled:" && tolower($2) == "no" { is_deb = 0 }
      END { flush() }
    ' "$f"
  done
  # one-line format: deb [options] URI SUITE COMPONENTS...
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    sed -e 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
  done
}

MIRROR="${DEBIAN_MIRROR:-$(apt_mirror | head -n1)}"
[[ -n "$MIRROR" ]] || die "could not find a deb mirror for suite '$SUITE' in /etc/apt/sources.list*; set DEBIAN_MIRROR"

# debootstrap does not read apt.conf; carry over an apt HTTP proxy if one is configured.
if [[ -z "${http_proxy:-}" ]]; then
  APT_PROXY="$(apt-config shell P Acquire::http::Proxy 2>/dev/null | sed -n "s/^P='\(.*\)'$/\1/p")"
  [[ -n "$APT_PROXY" && "$APT_PROXY" != DIRECT ]] && export http_proxy="$APT_PROXY"
fi

mkdir -p "$CACHE_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/source-descope-base.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

# --- 1. minbase rootfs (cached) -------------------------------------------------------------------------------
ROOTFS_TAR="$CACHE_DIR/rootfs-${SUITE}-minbase-${DEB_ARCH}.tar"
if [[ ! -s "$ROOTFS_TAR" ]]; then
  command -v debootstrap >/dev/null || die "debootstrap not installed (apt-get install -y debootstrap)"
  log "debootstrap --variant=minbase $SUITE from $MIRROR (first run on this machine; cached afterwards)"
  DB="$WORK/debootstrap"
  t0=$SECONDS
  debootstrap --variant=minbase --arch="$DEB_ARCH" "$SUITE" "$DB" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 40 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  log "debootstrap took $((SECONDS - t0))s"
  # useradd/groupadd (package passwd) and /bin/sh (dash) are in minbase (Priority: required); assert it.
  for p in usr/sbin/useradd usr/sbin/groupadd bin/sh; do
    [[ -e "$DB/$p" ]] || die "minbase rootfs lacks /$p"
  done
  # Slim it down like the official -slim images: no apt lists/caches, docs, man pages.
  chroot "$DB" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$DB"/var/lib/apt/lists/* "$DB"/var/cache/apt/*.bin "$DB"/var/log/*.log "$DB"/var/log/apt/* \
    "$DB"/usr/share/man/* "$DB"/usr/share/info/* "$DB"/tmp/* "$DB"/var/tmp/*
  find "$DB/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  # debootstrap leaves the build host's resolv.conf/hostname in place; the engine provides its own.
  rm -f "$DB/etc/resolv.conf" "$DB/etc/hostname"
  tar --numeric-owner --xattrs -C "$DB" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$DB"
else
  log "reusing cached rootfs $ROOTFS_TAR"
fi

# --- 2. Node and npm from the npm registry ---------------------------------------------------------------------
PKG_DIR="$CACHE_DIR/npm-packs"
mkdir -p "$PKG_DIR"
pack() { # pack <spec> -> path of the tarball (npm's own cache makes repeats cheap)
  local name
  name="$(cd "$WORK" && npm pack --silent --pack-destination "$PKG_DIR" "$1" | tail -n1)"
  [[ -s "$PKG_DIR/$name" ]] || die "npm pack $1 produced no tarball"
  echo "$PKG_DIR/$name"
}
log "fetching node-linux-${NODE_ARCH}@${NODE_MAJOR} and npm@${NPM_MAJOR} from $(npm config get registry)"
NODE_TGZ="$(pack "node-linux-${NODE_ARCH}@${NODE_MAJOR}")"
NPM_TGZ="$(pack "npm@${NPM_MAJOR}")"

ROOT="$WORK/rootfs"
mkdir -p "$ROOT"
tar --numeric-owner -C "$ROOT" -xf "$ROOTFS_TAR"

mkdir -p "$WORK/node" "$ROOT/usr/local/bin" "$ROOT/usr/local/lib/node_modules/npm" "$ROOT/usr/local/share/doc/node"
tar -C "$WORK/node" -xzf "$NODE_TGZ"
install -m 0755 "$WORK/node/package/bin/node" "$ROOT/usr/local/bin/node"
for f in LICENSE README.md; do
  [[ -f "$WORK/node/package/$f" ]] && cp "$WORK/node/package/$f" "$ROOT/usr/local/share/doc/node/"
done
tar -C "$ROOT/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner -xzf "$NPM_TGZ"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
chown -R 0:0 "$ROOT/usr/local"

NODE_VERSION="$(chroot "$ROOT" /usr/local/bin/node --version 2>/dev/null || true)"
[[ "$NODE_VERSION" == v"$NODE_MAJOR".* ]] || die "node in the rootfs does not run or is not v$NODE_MAJOR (got '$NODE_VERSION')"
NPM_VERSION="$(chroot "$ROOT" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version 2>/dev/null || true)"
log "node $NODE_VERSION, npm $NPM_VERSION"

# --- 3. machine-specific trust and registry settings (never in the Dockerfile) ---------------------------------
CA_SRC="$(npm config get cafile 2>/dev/null || true)"
[[ -n "$CA_SRC" && "$CA_SRC" != null && -s "$CA_SRC" ]] || CA_SRC="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
CA_DST=/etc/ssl/certs/ca-certificates.crt
ENV_CHANGES=()
mkdir -p "$ROOT/usr/local/etc"
printf '%s\n' "# written by docker/build-base-image.sh for this machine" \
  update-notifier=false fund=false audit=false >"$ROOT/usr/local/etc/npmrc"
if [[ -s "$CA_SRC" ]]; then
  mkdir -p "$ROOT/etc/ssl/certs"
  install -m 0644 "$CA_SRC" "$ROOT$CA_DST"
  echo "cafile=$CA_DST" >>"$ROOT/usr/local/etc/npmrc"
  ENV_CHANGES+=(--change "ENV NODE_EXTRA_CA_CERTS=$CA_DST")
  log "CA bundle $CA_SRC -> $CA_DST (NODE_EXTRA_CA_CERTS, npm cafile)"
else
  log "no CA bundle found on the host; relying on Node's built-in roots"
fi
REGISTRY="$(npm config get registry)"
if [[ -n "$REGISTRY" && "$REGISTRY" != "https://registry.npmjs.org/" ]]; then
  echo "registry=$REGISTRY" >>"$ROOT/usr/local/etc/npmrc"
  log "npm registry $REGISTRY carried into the image"
fi
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
  # an explicit proxy (if this machine uses one) must reach npm inside build containers too
  [[ -n "${!v:-}" ]] && ENV_CHANGES+=(--change "ENV $v=${!v}")
done

# --- 4. import ---------------------------------------------------------------------------------------------------
log "importing as $TAG"
tar --numeric-owner --xattrs -C "$ROOT" -c . | docker import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
  "${ENV_CHANGES[@]}" \
  --change 'CMD ["node"]' \
  --change "LABEL org.opencontainers.image.description=\"offline-built debian ${SUITE} minbase + node ${NODE_VERSION} (stand-in for node:${NODE_MAJOR}-${SUITE}-slim)\"" \
  - "$TAG" >/dev/null

got="$(docker run --rm --network none "$TAG" node --version)"
[[ "$got" == "$NODE_VERSION" ]] || die "smoke test: node --version in $TAG gave '$got'"
docker run --rm --network none "$TAG" npm --version >/dev/null || die "smoke test: npm --version failed in $TAG"
log "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1e6}'))"
echo "$TAG"
