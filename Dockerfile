# syntax=docker/dockerfile:1
# The fleethook services (dispatcher, admin API, alerter, deriver, scheduler, `npm run topics`) in one image;
# docker-compose.kafka.yml picks the process with `command:`.
#
# Runs the compiled output (`tsc` → dist/) with plain node, not tsx: tsx and TypeScript
# are dev dependencies, so the runtime stage installs production dependencies only
# (no vitest, typescript or tsx in the image), starts without transpiling every module
# (seconds less per container start), and runs exactly what `npm run typecheck` checked.
# The Avro schemas are read at run time from /app/schemas (services/shared/avro-schema-files.ts
# resolves them from dist/ too).

# Same Node.js as development and CI (package.json engines: >=20.18.1), pinned by version.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall applies them (patch-package): kafkajs' send retry fix, see patches/README.md.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY schemas ./schemas
COPY services ./services
COPY stack ./stack
# tsconfig.json also includes test/, bench/ and vitest.config.ts; they are not in the
# build context (.dockerignore), so only the sources above are compiled.
RUN npx tsc -p tsconfig.json --outDir dist

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY schemas/*.avsc ./schemas/
COPY --from=build /app/dist/schemas ./dist/schemas
COPY --from=build /app/dist/services ./dist/services
# The Webhook Manager's static files (not TypeScript, so tsc does not copy them).
COPY services/admin-api/portal ./dist/services/admin-api/portal
USER node
# The dispatcher's metrics port; the admin API listens on 8080, the alerter on 9091.
EXPOSE 9090 8080 9091
# A 64 MiB young generation: every item waits out its batch window in memory, and the default (16 MiB)
# spent ~24 % of the dispatcher's main thread in scavenges under load (README, Benchmarks).
CMD ["node", "--max-semi-space-size=64", "dist/services/dispatcher/main.js"]
