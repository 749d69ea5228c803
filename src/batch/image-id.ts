/**
 * The content identity of a container image, for the queue's machine identity: the engine's
 * image ID (`<engine> image inspect --format {{.Id}}`), the SHA-256 of the image's configuration,
 * which names its layers, entrypoint, environment and labels. Unlike a name (`tumour:2` can be
 * rebuilt or re-tagged) or a registry digest (which changes with a push's compression), the ID is
 * the same wherever the same image is built, pulled or loaded.
 */
import { BerthError } from '../errors.js';
import { ENGINES, engineEnv, type Engine } from '../harness/drivers/container.js';
import { runShort } from '../harness/drivers/short-command.js';

/** A full image ID, as berth writes it. */
const FULL_ID = /^sha256:[0-9a-f]{64}$/;

/** How long one `image inspect` may take. */
const INSPECT_TIMEOUT_MS = 30_000;

/** What one engine said of an image: its ID, that it lacks it, or that it could not answer. */
type Inspected = { id: string } | { absent: true } | { unknown: string };

/** Asks `engine` for the ID of `image`. */
async function inspect(engine: Engine, image: string, env: NodeJS.ProcessEnv): Promise<Inspected> {
  const r = await runShort(
    engine,
    ['image', 'inspect', '--format', '{{.Id}}', image],
    env,
    INSPECT_TIMEOUT_MS,
  );
  if (r.error) return { unknown: `${engine}: ${r.error.message}` };
  const hex = /^(?:sha256:)?([0-9a-f]{64})$/.exec(r.stdout.trim())?.[1];
  if (r.code === 0 && hex) return { id: `sha256:${hex}` };
  // podman: exit 125 "image not known"; docker: exit 1 "No such image" / "No such object".
  if (/image not known|no such (image|object)/i.test(r.stderr)) return { absent: true };
  return { unknown: `${engine}: ${(r.stderr.trim() || `exit ${r.code}`).slice(0, 200)}` };
}

/**
 * The ID (`sha256:<hex>`) of `image` in the engine's store: the named engine, else the first that
 * answers (podman before docker, as the container driver picks them). A full ID given as the
 * image is its own identity and is not looked up (so a batch can be enqueued from a host without
 * the image). `base` is the environment the engine runs in (its store: CONTAINERS_STORAGE_CONF).
 * @throws BerthError BERTH_E_IMAGE_NOT_FOUND when the engine lacks the image,
 *   BERTH_E_DRIVER_UNAVAILABLE when no engine can answer, BERTH_E_USAGE for an unknown engine.
 */
export async function imageIdOf(
  image: string,
  engine?: string,
  base: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (FULL_ID.test(image)) return image;
  if (engine !== undefined && !(ENGINES as readonly string[]).includes(engine)) {
    throw new BerthError('BERTH_E_USAGE', `Unknown container engine ${engine}`, {
      expected: ENGINES.join(' or '),
    });
  }
  const engines = engine === undefined ? ENGINES : ENGINES.filter((e) => e === engine);
  const reasons: string[] = [];
  for (const e of engines) {
    const answer = await inspect(e, image, (await engineEnv(e, undefined, base)).env);
    if ('id' in answer) return answer.id;
    if ('absent' in answer) {
      throw new BerthError('BERTH_E_IMAGE_NOT_FOUND', `The image ${image} is not in ${e}'s image store`, {
        expected: `the image the workers run, built or pulled here (or its full ID, sha256:…, as --image)`,
      });
    }
    reasons.push(answer.unknown);
  }
  throw new BerthError(
    'BERTH_E_DRIVER_UNAVAILABLE',
    `No container engine could tell the ID of the image ${image}: ${reasons.join('; ')}`,
    { expected: 'podman or docker able to inspect the image (or its full ID, sha256:…, as --image)' },
  );
}
