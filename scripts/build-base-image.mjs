#!/usr/bin/env node
// `npm run build:image`: builds berth's base image (the Dockerfile at the top of this repository)
// as berth:latest, with the first builder that works here (buildah, podman, docker) — buildah and
// podman into berth's private image store, where `berth build` and `berth run --driver container`
// look. Unlike `berth build`, it may pull the Node image it builds FROM (node:20-bookworm-slim).
// Arguments are passed on to the builder (e.g. --build-arg BASE_IMAGE=node:20-bookworm).
import { spawn, spawnSync } from 'node:child_process';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineEnv } from '../dist/harness/drivers/container.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tag = process.env.BERTH_BASE_TAG || 'berth:latest';
const extra = process.argv.slice(2);

const works = (cmd, args, env) =>
  spawnSync(cmd, args, { env, stdio: 'ignore', timeout: 30_000 }).status === 0;
const podmanEnv = (await engineEnv('podman')).env;
const plans = [
  ['buildah', ['bud', '--isolation', 'chroot'], podmanEnv, ['version']],
  ['podman', ['build', '--isolation', 'chroot'], podmanEnv, ['version']],
  ['docker', ['build'], process.env, ['version', '--format', '{{.Server.Version}}']],
];
const plan = plans.find(([cmd, , env, probe]) => works(cmd, probe, env));
if (!plan) {
  process.stderr.write(
    'build:image: no image builder works here (apt-get install -y buildah podman runc, or Docker)\n',
  );
  process.exit(2);
}
const [cmd, args, env] = plan;
const argv = [...args, '--tag', tag, ...extra, root];
process.stderr.write(`build:image: ${cmd} ${argv.join(' ')}\n`);
const child = spawn(cmd, argv, { env, stdio: 'inherit' });
child.on('close', (code) => {
  if (code === 0) process.stdout.write(`${tag}\n`);
  process.exit(code ?? 1);
});
