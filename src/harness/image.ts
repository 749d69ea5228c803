/**
 * Whether the image a container run names is there, asked before anything of the run is written:
 * a missing image is a setup mistake (build it first), not something the machine did.
 */
import path from 'node:path';
import { BerthError } from '../errors.js';
import { ENGINES, engineEnv, type Engine } from './drivers/container.js';
import { runShort } from './drivers/short-command.js';

/** What asking one engine about an image gave. */
export type Answer = 'present' | 'absent' | 'no-engine' | 'unknown';

/** The command that builds berth's base image (`berth:latest`) from a clone of berth. */
export const BASE_IMAGE_COMMAND = 'npm run build:image';

/**
 * Whether `engine` has `image` in the store `env` points it at. podman's `image exists` exits 1
 * exactly when the image is absent; docker's `image inspect` exits 1 for any failure (a daemon that
 * is not running too), so only its "No such image/object" counts as absent.
 */
export async function ask(engine: Engine, image: string, env: NodeJS.ProcessEnv): Promise<Answer> {
  const args =
    engine === 'podman' ? ['image', 'exists', image] : ['image', 'inspect', '--format', '{{.Id}}', image];
  const r = await runShort(engine, args, env);
  if (r.error) return 'no-engine';
  if (r.code === 0) return 'present';
  if (r.code === 1 && (engine === 'podman' || /no such (image|object)/i.test(r.stderr))) return 'absent';
  return 'unknown';
}

/**
 * Throws BERTH_E_IMAGE_NOT_FOUND when the engine the container driver will use (the named one,
 * else the first that answers, podman before docker as the driver picks them) lacks `image`. An
 * engine that cannot answer is not taken as a no: the run then says what the engine says.
 */
export async function requireImage(
  image: string,
  engine: string | undefined,
  machineDir: string,
): Promise<void> {
  const engines = engine === undefined ? ENGINES : ENGINES.filter((e) => e === engine);
  let absentIn: Engine | undefined;
  for (const e of engines) {
    const answer = await ask(e, image, (await engineEnv(e)).env);
    if (answer === 'present') return;
    if (answer === 'absent') {
      absentIn = e;
      break;
    }
  }
  if (absentIn === undefined) return;
  throw new BerthError(
    'BERTH_E_IMAGE_NOT_FOUND',
    `The image ${image} is not in ${absentIn}'s image store: build it with \`berth build ${path.relative(process.cwd(), machineDir) || '.'} --tag ${image}\``,
    { expected: 'an image built with `berth build` (or pulled) before `--driver container --image NAME`' },
  );
}

/**
 * Before `berth build`: the base image a Dockerfile builds FROM must be local (builds never pull
 * it). @throws BerthError BERTH_E_IMAGE_NOT_FOUND with the command that builds berth's base image.
 */
export async function requireBaseImage(
  engine: Engine,
  image: string,
  env: NodeJS.ProcessEnv,
  dockerfile: string,
): Promise<void> {
  if ((await ask(engine, image, env)) !== 'absent') return;
  throw new BerthError(
    'BERTH_E_IMAGE_NOT_FOUND',
    `The base image ${image} that ${path.basename(dockerfile)} builds FROM is not in ${engine}'s image store (builds never pull it)`,
    {
      expected: `berth's base image built first, from a clone of berth: \`${BASE_IMAGE_COMMAND}\` (or another base named with --base IMAGE)`,
    },
  );
}
