# syntax=docker/dockerfile:1
# The Tessera image: one image for every topology and service. The ENTRYPOINT is the `tessera`
# CLI, so the command picks the process:
#   docker run -p 3500:3500 tessera:dev                        all-in-one on embedded defaults
#   docker run tessera:dev state-svc --port 50101 --resources-path /resources --dapr-listen-addresses 0.0.0.0
#   docker run tessera:dev gateway --app-id myapp --state-svc-address state-svc:50101 --dapr-listen-addresses 0.0.0.0
# docker-compose.yml and deploy/kubernetes/ use it exactly this way. Build: docker build -t tessera:dev .
#
# Why one image and not one per service: every app bundle (dist/apps/*/main.js) needs the same
# node_modules (one root package.json; no per-app package.json is generated yet), and the CLI
# bundle already contains the runtime, the gateway and state-svc. Per-service images would be
# the same layers under different names, and compose and the manifests would have to keep N image
# names in step. When each *-svc emits its own package.json (STYLE.md, "Developer loop"), add an
# APP build argument that installs that package.json in prod-deps and copies dist/apps/$APP.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: every npm package, dev ones included, with the native ones compiled for this image.
FROM ${NODE_IMAGE} AS deps
# better-sqlite3 downloads a prebuilt binary when it can and compiles from source otherwise.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only the root manifests, so this layer changes only with the lock file. The apps/*/package.json
# workspace manifests are left out on purpose: package-lock.json has no entry for them, so
# `npm ci` would refuse the install as "not in sync" if they were present.
COPY package.json package-lock.json ./
# --ignore-scripts: the root postinstall builds the apps, whose sources are not copied yet. The
# install scripts that matter are run explicitly: better-sqlite3 (native addon) and esbuild.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 esbuild

# ---- build: bundle every app into dist/apps/<app>/main.js (esbuild, npm packages external).
FROM deps AS build
COPY tsconfig.base.json ./
COPY tools/build.mjs ./tools/
COPY libs ./libs
COPY apps ./apps
RUN node tools/build.mjs

# ---- prod-deps: the same node_modules without the dev packages. Keeps the compiled addon and
# drops what compiling it left behind (object files, the bundled SQLite sources: ~25 MB).
FROM deps AS prod-deps
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target \
           node_modules/better-sqlite3/deps

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the process; only the data dir of the embedded stores
# (--data-dir, default .tessera, used by `runtime` without --resources-path) is writable.
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN mkdir -p /app/.tessera && chown 1000:1000 /app/.tessera
# The image's `node` user, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
# Dapr HTTP, Dapr gRPC (gateway, runtime), state-svc internal transport.
EXPOSE 3500 50001 50101
ENTRYPOINT ["node", "--enable-source-maps", "dist/apps/cli/main.js"]
CMD ["runtime", "--dapr-listen-addresses", "0.0.0.0"]
