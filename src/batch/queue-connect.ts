/**
 * The batch side's connection to the queue: Redis probed first (a clear error rather than endless
 * reconnecting), the queue of a machine identity opened, and the register of batches — which
 * queue holds the jobs of which batch — that `berth batch status|retry-failed|report` read.
 */
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { BerthError, boundedText, isBerthError } from '../errors.js';
import { connectionOf, QUEUE_PREFIX } from './queue.js';

/** How long `berth batch --queue` and its subcommands wait for Redis to answer at start. */
export const QUEUE_CONNECT_TIMEOUT_MS = 10_000;

/** The Redis hash of batch id → queue name (one entry per batch ever enqueued; a few bytes each). */
export const BATCHES_KEY = 'berth:batches';

/** The Redis of `url` in words, without credentials. */
function redisAt(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/** A failure of Redis while a batch uses it, as `BERTH_E_QUEUE_UNREACHABLE` (berth's own errors pass). */
export function queueFailure(url: string, e: unknown): BerthError {
  if (isBerthError(e)) return e;
  return new BerthError('BERTH_E_QUEUE_UNREACHABLE', `Redis at ${redisAt(url)} failed: ${boundedText(e)}`, {
    expected: 'a running Redis at the --queue URL, reachable from here',
  });
}

/** A plain client: one connection, no retries, a time limit; later commands fail after two tries. */
function client(url: string): Redis {
  return new Redis({
    ...(connectionOf(url) as RedisOptions),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: QUEUE_CONNECT_TIMEOUT_MS,
  });
}

/** Runs `use` on a client of Redis at `url` once it answers a PING; unreachable: BERTH_E_QUEUE_UNREACHABLE. */
async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = client(url);
  let first: Error | undefined;
  redis.on('error', (e: Error) => (first ??= e));
  try {
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      // The connection's own error (ECONNREFUSED …) says more than the command's "closed".
      const problem = first ?? (e instanceof Error ? e : new Error(String(e)));
      throw new BerthError(
        'BERTH_E_QUEUE_UNREACHABLE',
        `Redis at ${redisAt(url)} cannot be used: ${problem.message}`,
        { expected: 'a running Redis at the --queue URL, reachable from here' },
      );
    }
    return await use(redis);
  } catch (e) {
    throw queueFailure(url, e);
  } finally {
    redis.disconnect();
  }
}

/** Resolves once Redis at `url` answers a PING; else BERTH_E_QUEUE_UNREACHABLE. */
export function probeQueue(url: string): Promise<void> {
  return withRedis(url, async () => {});
}

/**
 * The queue `name` at `url`, once Redis answers (workers, unlike this side, wait for Redis to come
 * back); with `batch`, the batch is entered in the register first.
 */
export async function openQueue(url: string, name: string, batch?: string): Promise<Queue> {
  await withRedis(url, async (redis) => {
    if (batch !== undefined) await redis.hset(BATCHES_KEY, batch, name);
  });
  const queue = new Queue(name, { connection: { ...connectionOf(url), maxRetriesPerRequest: 2 } });
  queue.on('error', () => {}); // a failed command rejects; the event adds nothing
  return queue;
}

/** The queue of an enqueued batch, from the register. */
export async function openBatchQueue(url: string, batch: string, location: string): Promise<Queue> {
  const name = await withRedis(url, (redis) => redis.hget(BATCHES_KEY, batch));
  if (name === null || !name.startsWith(QUEUE_PREFIX)) {
    throw new BerthError('BERTH_E_USAGE', `The queue holds no batch of ${location}`, {
      path: location,
      expected: 'the --out a batch was enqueued with (berth batch --queue), and the same --queue',
    });
  }
  return openQueue(url, name);
}
