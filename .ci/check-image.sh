#!/usr/bin/env bash
# Quick structural checks of a built connector image (seconds; the behavioural container tests live in vitest):
#   - ENV AIRBYTE_ENTRYPOINT equals the exec-form ENTRYPOINT joined with spaces (what the CAT compares)
#   - it runs as the non-root user `airbyte`, /airbyte is writable by it, /bin/sh exists
#   - the Airbyte labels are present
#   - `spec` answers with a SPEC message both through ENTRYPOINT (how the CAT runs it) and through
#     `sh -c "eval \"\$AIRBYTE_ENTRYPOINT spec\""` from another working directory (how the platform runs it)
#
#   .ci/check-image.sh airbyte/source-descope:dev
set -euo pipefail
image="${1:?image}"
fail() { echo "[check-image] FAIL: $*" >&2; exit 1; }

entry="$(docker image inspect -f '{{range $i, $e := .Config.Entrypoint}}{{if $i}} {{end}}{{$e}}{{end}}' "$image")"
env_ep="$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed -n 's/^AIRBYTE_ENTRYPOINT=//p')"
[[ -n "$entry" ]] || fail "no ENTRYPOINT"
[[ "$env_ep" == "$entry" ]] || fail "AIRBYTE_ENTRYPOINT '$env_ep' != ENTRYPOINT '$entry'"

user="$(docker image inspect -f '{{.Config.User}}' "$image")"
[[ "$user" == airbyte ]] || fail "USER is '$user', expected airbyte"
name="$(docker image inspect -f '{{index .Config.Labels "io.airbyte.name"}}' "$image")"
version="$(docker image inspect -f '{{index .Config.Labels "io.airbyte.version"}}' "$image")"
[[ -n "$name" && -n "$version" ]] || fail "missing io.airbyte.name / io.airbyte.version labels"

# (each `docker run` costs seconds on vfs, so the in-container checks share one run)
node_version="$(docker run --rm --network none --entrypoint /bin/sh "$image" -c \
  'test "$(id -un)" = airbyte && test "$(id -u)" != 0 && touch /airbyte/.w && rm /airbyte/.w && touch /tmp/.w && node --version')" \
  || fail "user/permissions check failed (non-root airbyte, writable /airbyte and /tmp, /bin/sh, node)"

spec1="$(docker run --rm --network none "$image" spec)" || fail "'spec' exited non-zero"
grep -q '"type" *: *"SPEC"' <<<"$spec1" || fail "'spec' printed no SPEC message: ${spec1:0:300}"
spec2="$(docker run --rm --network none -w /tmp --entrypoint /bin/sh "$image" -c 'eval "$AIRBYTE_ENTRYPOINT spec"')" \
  || fail "'eval \$AIRBYTE_ENTRYPOINT spec' exited non-zero"
grep -q '"type" *: *"SPEC"' <<<"$spec2" || fail "AIRBYTE_ENTRYPOINT spec printed no SPEC message"

echo "[check-image] $image OK: entrypoint '$entry', user $user, labels $name:$version, node $node_version" >&2
