# syntax=docker/dockerfile:1
# data-sync-scheduler: build with `docker build -t data-sync-scheduler .`
# Run: docker run -p 5000:5000 -v dss-data:/app/data -v /srv/mirror:/app/downloads data-sync-scheduler
# Configuration comes from the environment (-e / --env-file); no .env is ever copied into the image.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: native modules (better-sqlite3, native/linux-fs) and the bundle ------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The linux-fs addon (syncfs, fallocate, the MD5 file hasher) is a local package (file:native/linux-fs), built by npm ci beside better-sqlite3.
COPY native ./native
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY web ./web
COPY scripts/build-server.ts scripts/build-dashboard.ts ./scripts/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production node_modules + dist only, non-root ------------------------------------
FROM ${NODE_IMAGE} AS runtime
# SHUTDOWN_TIMEOUT under `docker stop`'s 10 s: a stop that overruns is logged and exits 1 on its
# own instead of being killed mid-write without a line.
ENV NODE_ENV=production \
    SHUTDOWN_TIMEOUT=8s \
    UV_THREADPOOL_SIZE=16 \
    PORT=5000 \
    HOST=0.0.0.0 \
    DB_URL=sqlite:/app/data/scheduler.db \
    DOWNLOAD_ROOT_FOLDER=/app/downloads
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
# node_modules/dss-linux-fs links here.
COPY --from=build /app/native ./native
COPY --from=build /app/dist ./dist
# dist/ stays root's; the service may write only its code cache there (src/config/code-cache.ts).
RUN mkdir -p /app/data /app/downloads /app/dist/.code-cache \
 && chown node:node /app/data /app/downloads /app/dist/.code-cache \
 && chmod 700 /app/dist/.code-cache
USER node
EXPOSE 5000
VOLUME ["/app/data", "/app/downloads"]
# node, not curl: the slim image has no curl. /healthz stays open when API_TOKEN is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly (not npm) so SIGTERM reaches the app, which finishes in-flight requests and
# stops syncs at a chunk boundary before exiting. The flags are npm start's (a test keeps them equal):
# V8's old generation grows to at most 2.5x its live size between major collections, not 4x.
CMD ["node", "--heap-growing-percent=150", "dist/main.js"]
