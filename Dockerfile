# syntax=docker/dockerfile:1
#
# The Sealroom relay as a container image. It builds the web app and the relay from this
# workspace, packs the relay exactly as `npm publish` would (the web app inside, with its
# brotli and gzip copies), installs that tarball into a clean directory, and runs it as an
# unprivileged user. Build from the repository root:
#
#   docker build -t sealroom-relay .
#   docker run --init -p 8787:8787 -v sealroom-data:/data sealroom-relay
#
# Configuration is through the SEALROOM_* environment variables (`--help` lists them).
# docs/DEPLOYMENT.md has the compose file with two relays, a proxy and Redis.

ARG NODE_VERSION=20.19
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------- build
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS build
# A compiler for native modules that have no prebuilt binary for this platform (the
# durable store's SQLite binding); the runtime stage never sees it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, from the lockfile alone, so a source change does not fetch them
# again; pnpm at the version package.json pins ("packageManager": "pnpm@x.y.z").
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN npm install --global --no-audit --no-fund "$(node -p 'require("./package.json").packageManager')" \
 && pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm build
# The published artefact: `npm pack` runs prepack (bundle, copy the web app in, refuse if
# it is missing), then a plain npm install of the tarball with its runtime dependencies.
RUN mkdir /pack \
 && cd packages/relay \
 && npm pack --pack-destination /pack \
 && mkdir -p /opt/sealroom \
 && cd /opt/sealroom \
 && npm install --omit=dev --no-audit --no-fund /pack/sealroom-relay-*.tgz \
 && npm cache clean --force

# -------------------------------------------------------------------------- runtime
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production \
    SEALROOM_HOST=0.0.0.0 \
    SEALROOM_PORT=8787 \
    SEALROOM_DATA_DIR=/data
COPY --from=build /opt/sealroom /opt/sealroom
# The data directory belongs to the user the relay runs as: uid 1000 is `node` in this
# image, given as a number so that runAsNonRoot-style checks can see it is not root.
RUN mkdir /data && chown 1000:1000 /data && chmod 0700 /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8787
# Alive when /healthz answers: 200, or 503 while the store is unreachable (a restart would
# not bring Redis back; monitor sealroom_store_up for that). Plain HTTP unless the relay
# serves TLS itself; the certificate of a local check is not verified.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const client = process.env.SEALROOM_TLS_CERT ? require('node:https') : require('node:http'); client.get({ host: '127.0.0.1', port: process.env.SEALROOM_PORT, path: '/healthz', rejectUnauthorized: false, timeout: 4000 }, (res) => process.exit(res.statusCode === 200 || res.statusCode === 503 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1));"]
# SIGTERM closes every WebSocket with 1001 (going away) and exits 0; SIGHUP reloads the
# TLS certificate and key. Exit status 2 is a configuration error, 3 a failed start.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/sealroom/node_modules/@sealroom/relay/bin/sealroom-relay.js"]
