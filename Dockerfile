# Airbyte source connector image for source-descope.
#
#   docker build -t airbyte/source-descope:dev .
#   docker run --rm airbyte/source-descope:dev spec
#   docker run --rm -v "$PWD/secrets:/secrets" airbyte/source-descope:dev check --config /secrets/config.json
#
# BASE_IMAGE defaults to the official Node LTS image. Offline machines (CI) build a stand-in with
# docker/build-base-image.sh and pass --build-arg BASE_IMAGE=source-descope-base:node24.
# Works with both BuildKit and the legacy builder (no RUN --mount / COPY --chmod / syntax directive, which would
# need a registry pull).
ARG BASE_IMAGE=node:24-bookworm-slim

# ---- build: full install, compile TypeScript, then drop dev dependencies -------------------------------------
FROM ${BASE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# Lifecycle scripts are not needed to compile (tsc is plain JS); skipping them avoids native builds of optional
# dev-only packages (cpu-features via testcontainers/ssh2). The production dependencies have no install scripts;
# if one ever does, add `npm rebuild <pkg>` after the prune below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Assemble exactly what the runtime needs in /out: package.json (declares "type": "module"), production
# node_modules, dist/, schemas/, vendor/ (the last two are created empty if the repo has none yet).
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && test -f dist/bin/source-descope.js \
 && mkdir -p schemas vendor /out \
 && find node_modules -depth -type d -empty -delete \
 && cp -R package.json node_modules dist schemas vendor /out/

# ---- runtime: production dependencies + compiled code, non-root user `airbyte` -------------------------------
FROM ${BASE_IMAGE}
# groupadd/useradd come from the `passwd` package, present in node:*-slim and in Debian minbase.
RUN groupadd --system airbyte \
 && useradd --system --gid airbyte --home-dir /airbyte --no-create-home --shell /bin/sh airbyte \
 && mkdir -p /airbyte/integration_code \
 && chown airbyte:airbyte /airbyte
WORKDIR /airbyte/integration_code
# Code stays root-owned (read-only for the connector); /airbyte itself and /tmp are writable by `airbyte`.
COPY --from=build /out/ /airbyte/integration_code/
# The platform runs `eval "$AIRBYTE_ENTRYPOINT <command> <args>"`; the CAT uses ENTRYPOINT and checks that both
# are equal token for token. Keep absolute paths: the platform changes the working directory (/config, /source).
# (Setting ENTRYPOINT also clears the base image's CMD.) Few metadata instructions: each one is a container
# commit under the legacy builder, which is slow on the vfs storage driver.
ENV NODE_ENV=production \
    AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/dist/bin/source-descope.js"
ENTRYPOINT ["node", "/airbyte/integration_code/dist/bin/source-descope.js"]
# Must equal metadata.yaml data.dockerRepository / data.dockerImageTag (CAT test_image_labels).
LABEL io.airbyte.name=airbyte/source-descope \
      io.airbyte.version=0.2.2
USER airbyte
