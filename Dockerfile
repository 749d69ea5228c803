# berth's base image: Node 20, berth (the `berth` command and the SDK package), the /envoyai
# folders, a non-root user, and `berth exec` as the entrypoint — which checks the inputs against
# /envoyai/machine.yaml, runs the image's CMD (the machine), then checks its outputs.
#
#   buildah bud --isolation chroot --pull=never -t berth:latest .      (or: docker build -t berth:latest .)
#
# Machine images build FROM it (sample-machine/Dockerfile; README.md, "Package your machine"). Classic syntax
# only, so every builder accepts it. BASE_IMAGE names another Node 20 image (a digest, a mirror).
# npm_config_registry, when given (--build-arg), is the registry `npm ci` uses; empty means npm's
# default (npm ignores empty npm_config_* variables).
ARG BASE_IMAGE=node:20-bookworm-slim

# ---- build: compile berth with its dev dependencies, then drop them ------------------------------
FROM ${BASE_IMAGE} AS build
ARG npm_config_registry
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# --ignore-scripts: `prepare` would build before the sources are here (and builds the sample too).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY schemas ./schemas
COPY scripts/build-schema-validator.mjs scripts/bundle-cli.mjs ./scripts/
# `npm prune --omit=dev` leaves exactly what `npm ci --omit=dev` installs from the lockfile, without
# downloading it all a second time; npm's cache stays behind in this stage. Source maps, type
# declarations and Markdown are never read at run time (a fifth of node_modules), nor the test
# folders packages ship at their root (fastify, pino, find-my-way …: 4.5 MB).
RUN npx tsc -p tsconfig.build.json \
  && node scripts/build-schema-validator.mjs \
  && node scripts/bundle-cli.mjs \
  && find dist -name '*.map' -delete \
  && chmod 0755 dist/cli/berth.js \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -iname '*.md' \) -delete \
  && for d in $(find node_modules -type d -name test); do if [ -f "$d/../package.json" ]; then rm -rf "$d"; fi; done

# ---- the base image: production dependencies and the compiled berth, nothing else -----------------
FROM ${BASE_IMAGE}
# berth lives where `npm install -g` would put it.
WORKDIR /usr/local/lib/node_modules/berth
COPY package.json package-lock.json ./
COPY schemas ./schemas
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
# `berth` on PATH; `import ... from 'berth'` from machine code anywhere: Node's ESM resolver walks
# up to /node_modules (NODE_PATH is ignored by ESM). User 10001 is the user the platform and
# berth's container driver run machines as; it owns only what a machine writes.
RUN ln -s /usr/local/lib/node_modules/berth/dist/cli/berth.js /usr/local/bin/berth \
  && mkdir /node_modules \
  && ln -s /usr/local/lib/node_modules/berth /node_modules/berth \
  && groupadd --gid 10001 machine \
  && useradd --uid 10001 --gid 10001 --home-dir /home/machine --create-home --shell /usr/sbin/nologin machine \
  && mkdir -p /envoyai/input /envoyai/output /envoyai/status /machine \
  && chown 10001:10001 /envoyai/output /envoyai/status /machine \
  && berth --version
# The machine's code goes to /machine (owned by the machine user, so `RUN npm ci` works there).
WORKDIR /machine
USER 10001:10001
ENTRYPOINT ["berth", "exec", "--"]
