/**
 * The queue mode's shared model (BullMQ on Redis): the job a batch enqueues per case, its id, the
 * machine identity both sides check, the queue of that identity, the Redis connection and the
 * worker's lock settings.
 *
 * A job carries URIs and the machine's identity, never data: the case's path, the output store's
 * location (a folder every worker sees at the same path) and the identity of the machine the batch
 * was started with — the hash of its manifest, the content ID of its image, its command. Each
 * identity has its own queue, so a worker only ever takes jobs of the machine it runs (one Redis
 * may serve batches of many machines and versions). A job's id is derived from the batch id and
 * the case id, so enqueueing a batch again adds nothing that is already there.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ConnectionOptions } from 'bullmq';
import { BerthError } from '../errors.js';
import type { MachineRef } from '../harness/machine.js';
import { readTextFile } from '../tree/read-text.js';
import { caseIdProblem } from './cases.js';
import { imageIdOf } from './image-id.js';

/** The name prefix of berth's BullMQ queues: one queue per machine identity, `berth-batch-<hash>`. */
export const QUEUE_PREFIX = 'berth-batch-';

/** The most bytes of a manifest hashed for the identity. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * What a worker must run for a job: the same manifest, image and command as the batch. The image
 * is compared by its content ID (see image-id.ts), never by its name; the name is kept for messages.
 */
export interface MachineIdentity {
  /** `sha256:<hex>` of the manifest file's bytes. */
  manifest: string;
  /** The image as named (`--image`), for messages. */
  image?: string;
  /** `sha256:<hex>`: the image's ID in the engine's store (set whenever `image` is). */
  imageId?: string;
  command?: string[];
}

/** One job: one case of one batch. */
export interface CaseJob {
  v: 1;
  batch: string;
  id: string;
  /** The case folder or file (a path every worker sees). */
  case: string;
  /** The batch's output store (a folder every worker sees, or `s3://bucket/prefix`). */
  out: string;
  identity: MachineIdentity;
  timeoutMs?: number;
}

/**
 * The worker's lock settings (BullMQ): a job's lock lasts `lockDuration` and is renewed at half
 * of it while the worker's event loop is free (the machine runs in its own process, so it is);
 * every `stalledInterval` a worker looks for jobs whose lock expired (their worker died) and puts
 * them back, at most `maxStalledCount` times per job, after which the job fails.
 */
export interface LockSettings {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
}

/** The defaults: a dead worker's jobs run again within about 90 s; two crashes per job are forgiven. */
export const DEFAULT_LOCK: LockSettings = {
  lockDuration: 60_000,
  stalledInterval: 30_000,
  maxStalledCount: 2,
};

/** How often a job that threw (berth could not store its results) is tried, with exponential back-off. */
export const JOB_ATTEMPTS = 3;
export const JOB_BACKOFF_MS = 1000;

/** The id of a batch: derived from its store's canonical location, so the same `--out` is the same batch. */
export function batchIdOf(location: string): string {
  return createHash('sha256').update(location).digest('hex').slice(0, 16);
}

/** The job id of a case: a key of the batch id and the case id (hex, so any case id fits). */
export function jobIdOf(batch: string, caseId: string): string {
  return `${batch}-${createHash('sha256').update(caseId, 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * The identity of a machine as resolved, with the image and command override given: the image's
 * ID is asked of the engine (`engine`, else podman then docker; `env`: its environment).
 */
export async function identityOf(
  machine: MachineRef,
  extra: { image?: string; command?: string[]; engine?: string; env?: NodeJS.ProcessEnv },
): Promise<MachineIdentity> {
  const text = await readTextFile(machine.manifestPath, MAX_MANIFEST_BYTES);
  return {
    manifest: `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`,
    ...(extra.image
      ? { image: extra.image, imageId: await imageIdOf(extra.image, extra.engine, extra.env) }
      : {}),
    ...(extra.command ? { command: extra.command } : {}),
  };
}

/** What decides the identity, without names: the manifest hash, the image ID, the command. */
function identityKey(id: MachineIdentity): string {
  return JSON.stringify([id.manifest, id.imageId ?? null, id.command ?? null]);
}

/** The queue of the jobs of one machine identity. */
export function queueNameOf(identity: MachineIdentity): string {
  return `${QUEUE_PREFIX}${createHash('sha256').update(identityKey(identity)).digest('hex').slice(0, 16)}`;
}

/** Why two identities differ, in words, or undefined when they are the same machine. */
export function identityMismatch(want: MachineIdentity, have: MachineIdentity): string | undefined {
  if (want.manifest !== have.manifest) return `manifest ${want.manifest}, this worker runs ${have.manifest}`;
  if ((want.imageId ?? '') !== (have.imageId ?? '')) {
    const named = (i: MachineIdentity): string => (i.imageId ? `${i.image ?? '?'} (${i.imageId})` : '(none)');
    return `image ${named(want)}, this worker runs ${named(have)}`;
  }
  if (JSON.stringify(want.command ?? null) !== JSON.stringify(have.command ?? null))
    return `command ${JSON.stringify(want.command ?? null)}, this worker runs ${JSON.stringify(have.command ?? null)}`;
  return undefined;
}

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The job's data when it has the shape berth enqueues (Redis is shared: checked, not trusted). */
export function parseCaseJob(data: unknown): CaseJob | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const d = data as Partial<CaseJob>;
  const id = d.identity as Partial<MachineIdentity> | undefined;
  const ok =
    d.v === 1 &&
    typeof d.batch === 'string' &&
    typeof d.id === 'string' &&
    caseIdProblem(d.id) === undefined &&
    typeof d.case === 'string' &&
    path.isAbsolute(d.case) &&
    typeof d.out === 'string' &&
    (path.isAbsolute(d.out) || d.out.startsWith('s3://')) &&
    (d.timeoutMs === undefined || (typeof d.timeoutMs === 'number' && d.timeoutMs > 0)) &&
    id !== null &&
    typeof id === 'object' &&
    typeof id.manifest === 'string' &&
    (id.image === undefined || typeof id.image === 'string') &&
    (id.imageId === undefined || (typeof id.imageId === 'string' && IMAGE_ID.test(id.imageId))) &&
    (id.command === undefined || isStringArray(id.command));
  return ok ? (d as CaseJob) : undefined;
}

/** The Redis connection of `--queue redis://host:port[/db]` (workers need no request retry limit). */
export function connectionOf(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL('invalid:');
  }
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') {
    throw new BerthError('BERTH_E_USAGE', `--queue ${url} is not a Redis URL`, {
      expected: 'redis://host:port (or rediss:// for TLS), optionally /db',
    });
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new BerthError(
      'BERTH_E_USAGE',
      `--queue ${url}: the database ${u.pathname.slice(1)} is not a number`,
      {
        expected: 'redis://host:port/0',
      },
    );
  }
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}
