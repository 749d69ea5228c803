/**
 * Whether the image a container run names is there, asked before anything of the run is written:
 * a missing image is a setup mistake (build it first), not something the machine did.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { ENGINES, engineEnv, type Engine } from './drivers/container.js';

/** What asking one engine about an image gave. */
export type Answer = 'present' | 'absent' | 'no-engine' | 'unknown';

/** The command that builds berth's base image (`berth:latest`) from a clone of berth. */
export const BASE_IMAGE_COMMAND = 'npm run build:image';

/** Whether `engine` has `image` in the store `env` points it at. */
export function ask(engine: Engine, image: string, env: NodeJS.ProcessEnv): Promise<Answer> {
  // podman's `image exists` and docker's `image inspect` both exit 1 when the image is absent.
  const args =
    engine === 'podman' ? ['image', 'exists', image] : ['image', 'inspect', '--format', '{{.Id}}', image];
  return new Promise((resolve) => {
    const child = spawn(engine, args, { env, stdio: 'ignore', timeout: 30_000, killSignal: 'SIGKILL' });
    child.once('error', () => resolve('no-engine'));
    child.once('close', (code) => resolve(code === 0 ? 'present' : code === 1 ? 'absent' : 'unknown'));
  });
}

/**
 * Throws BERTH_E_IMAGE_NOT_FOUND when no engine (the named one, else any installed) has `image`.
 * An engine that cannot answer is not taken as a no: the run then says what the engine says.
 */
export async function requireImage(
  image: string,
  engine: string | undefined,
  machineDir: string,
): Promise<void> {
  const engines = engine === undefined ? ENGINES : ENGINES.filter((e) => e === engine);
  const absentIn: Engine[] = [];
  for (const e of engines) {
    const answer = await ask(e, image, (await engineEnv(e)).env);
    if (answer === 'present') return;
    if (answer === 'absent') absentIn.push(e);
    else if (answer === 'unknown') return;
  }
  if (absentIn.length === 0) return;
  throw new BerthError(
    'BERTH_E_IMAGE_NOT_FOUND',
    `The image ${image} is not in ${absentIn.join("'s or ")}'s image store: build it with \`berth build ${path.relative(process.cwd(), machineDir) || '.'} --tag ${image}\``,
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
