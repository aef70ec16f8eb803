# syntax=docker/dockerfile:1
# payseal container image, in two stages: `build` compiles src/ to dist/ with the dev toolchain; `runtime`
# holds production dependencies, bin/, dist/ and scripts/rotate-due.sh, and nothing that compiles.
#
#   docker build -t payseal:0.1.0 .
#   docker run --read-only -p 8080:8080 -e DATABASE_URL=... -e PAYSEAL_KEK_FILE=/run/secrets/payseal-kek payseal:0.1.0
#
# Writable paths: none with DATABASE_URL. Without it (embedded PostgreSQL, one replica only) PAYSEAL_DATA_DIR
# (/data) holds the database, the lock file, a generated KEK and the CLI's Unix socket (/data/socket/.s.PGSQL.5432;
# only a data dir path longer than 85 characters moves the socket to $TMPDIR). Nothing is written to /app or
# /tmp, so the root filesystem can be read-only. test/deploy-image.test.ts runs this stage's exact install,
# ENTRYPOINT, CMD and HEALTHCHECK on a read-only root; docs/OPERATIONS.md says how to deploy it.

# Node 22 LTS, pinned to a patch release: rebuild on a new patch for OpenSSL and V8 fixes.
FROM node:22.23.4-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; they come after, so that editing
# src/ keeps this dependency layer cached.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
RUN npm run build

FROM node:22.23.4-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    PAYSEAL_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (no tsx, typescript or vitest). --ignore-scripts: `prepare` would run the
# compiler, which is not here; dist/ comes from the build stage. The npm cache stays in the build cache mount.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY scripts/rotate-due.sh ./scripts/rotate-due.sh
COPY --from=build /src/dist ./dist

# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can check it. /app stays owned by
# root: the service cannot modify its own code.
RUN mkdir -p /data && chown 1000:1000 /data && chmod 0700 /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8080

# Liveness only (/healthz touches no dependency); readiness is /readyz, for the orchestrator's probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/payseal.js"]
CMD ["serve"]
