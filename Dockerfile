# pairbot as a container that schedules itself: `docker compose up -d` runs the weekly
# cycle (the jobs `pairbot crontab` prints, in PAIRBOT_TIMEZONE) with a small Node scheduler
# built on croner (dist/src/scheduler.js); any arguments run one command instead:
#   docker compose run --rm pairbot pair --dry-run
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci
COPY src ./src
COPY scripts ./scripts
# `pairbot --version` names the commit: docker build --build-arg PAIRBOT_COMMIT=$(git rev-parse HEAD) .
ARG PAIRBOT_COMMIT=
RUN PAIRBOT_COMMIT="$PAIRBOT_COMMIT" npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PAIRBOT_DB=/data/pairbot.db
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY examples ./examples
COPY docker/entrypoint.sh ./docker/entrypoint.sh
RUN mkdir -p /data && chown node:node /data
# Non-root: the database on the volume belongs to the image's `node` user.
USER node
VOLUME ["/data"]
# Healthy when the settings load and the database can be read (run with --init, or compose's
# `init: true`, so signals reach the scheduler and finished jobs are reaped).
HEALTHCHECK --interval=5m --timeout=30s --start-period=30s --retries=3 CMD ["node", "/app/bin/pairbot.js", "status", "--quiet"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["schedule"]
