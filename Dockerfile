# One image for every Autocoder process. The command picks the service:
#   npm start                   all services in one process (the default)
#   npm run start:gateway       GraphQL/REST gateway on $HOST:$PORT
#   npm run start:coordinator   NATS microservice, no HTTP port
#   npm run start:runner        NATS microservice that drives the coding sessions
# Configuration and secrets come from the environment at run time; none are baked in.

# Stage 1: only the package manifests, so the dependency layer below is reused
# when nothing but source code changed (COPY --from compares file contents).
FROM node:20-bookworm-slim AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -type d -empty -delete

FROM node:20-bookworm-slim
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    HOST=0.0.0.0 \
    PORT=4000 \
    AUTOCODER_HOME=/var/lib/autocoder

# The start scripts run TypeScript through @swc-node/register (a devDependency),
# so development dependencies are installed too.
COPY --from=manifests /app ./
RUN npm ci --no-audit && npm cache clean --force

COPY . .
RUN mkdir -p "$AUTOCODER_HOME" && chown 1000:1000 "$AUTOCODER_HOME"

# uid 1000 is the image's `node` user; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 4000
CMD ["npm", "start"]
