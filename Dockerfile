# syntax=docker/dockerfile:1.7
# scw-gitops: GitOps reconciliation daemon for Scaleway IAM.
# Build:  docker build -t scw-gitops .
# Run:    docker run --read-only -v scw-data:/data -p 8080:8080 scw-gitops run --config /etc/scw-gitops/config.yaml

ARG NODE_VERSION=26

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG VERSION=0.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="scw-gitops" \
      org.opencontainers.image.description="GitOps reconciliation for Scaleway IAM with secret custody and key rotation" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# git, gnupg and openssh-client: the built-in git source (source.git) fetches with the git binary
# and verifies signed commits with gpg and ssh-keygen (docs/design/git-source.md). OpenSSH needs a
# passwd entry for the uid it runs as: 65532 gets one (home /data).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates git gnupg openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 scw-gitops \
 && useradd --uid 65532 --gid 65532 --home-dir /data --no-create-home --shell /usr/sbin/nologin scw-gitops
ENV NODE_ENV=production \
    SCW_GITOPS_DATA_DIR=/data \
    SCW_GITOPS_HOST=0.0.0.0 \
    HOME=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY schema ./schema
COPY config ./config
COPY examples ./examples
# The root filesystem can be mounted read-only: the daemon writes only under /data
# (file sink, sandbox state), which is a volume.
RUN mkdir -p /data && chown 65532:65532 /data
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SCW_GITOPS_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["run", "--config", "/app/config/sandbox.yaml"]
