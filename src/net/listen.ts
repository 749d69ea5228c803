/**
 * `berth listen` put together: the spool sink (staging.ts) under the receivers, the node
 * (node.ts) told of every commit, and the order of start and stop:
 *   start: staging batches a killed berth left are committed (they were acknowledged), the state
 *          of every group is taken up, then the receivers listen;
 *   stop:  the receivers stop accepting and let open associations/requests end (bounded), then
 *          the run under way finishes (its end recorded); what is left waits on disk for the next start.
 */
import type { Launched } from '../harness/drivers/driver.js';
import { stopOrphan } from '../harness/drivers/orphans.js';
import type { Destination } from './dest.js';
import type { RetryPolicy } from './delivery.js';
import type { EventLog } from './event-log.js';
import { runGroup, type GroupRunner } from './group-run.js';
import { ListenNode } from './node.js';
import type { CommittedGroups, ListenSink, StagingBatch } from './sink.js';
import { Spool } from './spool.js';
import { SpoolSink, type GroupBy } from './staging.js';

/** The network edges (DIMSE SCP, STOW-RS server) that feed the sink. */
export interface Receiver {
  /** What listens where, for the log (`dimse BERTH@127.0.0.1:11112`, `stow http://127.0.0.1:8080`). */
  readonly addresses: readonly string[];
  /** Stops accepting; open associations/requests get a bounded time to end. */
  close(): Promise<void>;
}

export interface ListenSettings {
  readonly spool: string;
  readonly group: GroupBy;
  readonly idleMs: number;
  readonly runner: GroupRunner;
  readonly destinations: readonly Destination[];
  /** berth's AE title: called by peers, and calling the destinations. */
  readonly aet: string;
  readonly retry?: RetryPolicy;
  readonly watermarkPercent?: number;
  readonly maxInstanceBytes?: number;
  /** `--no-fsync` gives false: commits are acknowledged without syncing (staging.ts). */
  readonly fsync?: boolean;
  /** `--prune-after`: retention of settled groups' data (prune.ts). */
  readonly pruneAfterMs?: number;
  readonly log: EventLog;
  /** Starts the receivers on the sink (after recovery). */
  readonly receivers: (sink: ListenSink) => Promise<Receiver>;
}

/** A running `berth listen`. */
export interface Listening {
  readonly node: ListenNode;
  readonly receivers: Receiver;
  /** Drains: receivers closed (open work gets a bounded time), then the run under way ends. */
  close(): Promise<void>;
  /**
   * Stops at once (a second signal): the machine running now is killed, and its run is taken up
   * at the next start.
   */
  abort(): Promise<void>;
}

/** The sink the receivers get: the spool's, telling the node of every commit once it is on disk. */
function notifying(inner: SpoolSink, node: ListenNode): ListenSink {
  return {
    full: () => inner.full(),
    feeding: () => inner.feeding(),
    async open(source): Promise<StagingBatch> {
      const batch = await inner.open(source);
      return {
        id: batch.id,
        write: (expected) => batch.write(expected),
        discard: () => batch.discard(),
        async commit(): Promise<CommittedGroups> {
          const committed = await batch.commit();
          await node.committed(committed.groups);
          return committed;
        },
      };
    },
  };
}

/** Starts `berth listen`; resolves once the receivers listen. */
export async function startListen(s: ListenSettings): Promise<Listening> {
  const spool = new Spool(s.spool);
  const sink = new SpoolSink({
    spool: spool.root,
    group: s.group,
    ...(s.watermarkPercent === undefined ? {} : { watermarkPercent: s.watermarkPercent }),
    ...(s.maxInstanceBytes === undefined ? {} : { maxInstanceBytes: s.maxInstanceBytes }),
    ...(s.fsync === undefined ? {} : { fsync: s.fsync }),
  });
  // The machines running now, so a second signal can stop them (a SIGKILL of berth cannot).
  const machines = new Set<Launched>();
  const runner = {
    ...s.runner,
    settings: { ...s.runner.settings, onLaunched: (l: Launched) => machines.add(l) },
  };
  const node = new ListenNode({
    spool,
    idleMs: s.idleMs,
    run: async (key, folder, uids, launch) => {
      try {
        return await runGroup(runner, spool.group(key), folder, uids, {
          ...(launch ? { launchId: launch.runId } : {}),
          deferHtml: true,
        });
      } finally {
        machines.clear();
      }
    },
    destinations: s.destinations,
    callingAet: s.aet,
    log: s.log,
    feeding: () => sink.feeding(),
    ...(s.retry ? { retry: s.retry } : {}),
    driver: {
      driver: s.runner.settings.driver ?? 'process',
      ...(s.runner.settings.engine ? { engine: s.runner.settings.engine } : {}),
    },
    stopOrphan: (launch) => stopOrphan(launch),
    ...(s.pruneAfterMs === undefined ? {} : { pruneAfterMs: s.pruneAfterMs }),
  });
  const recovered = await sink.recoverStaging();
  await node.start();
  if (recovered.groups.length > 0) {
    s.log.event('staging.recovered', {
      groups: recovered.groups.length,
      instances: recovered.groups.reduce((n, g) => n + g.instances.length, 0),
    });
    await node.committed(recovered.groups);
  }
  let receivers: Receiver;
  try {
    receivers = await s.receivers(notifying(sink, node));
  } catch (e) {
    node.stop();
    throw e;
  }
  s.log.event('listen.started', {
    spool: spool.root,
    group: s.group,
    idleSeconds: s.idleMs / 1000,
    fsync: sink.fsync,
    receivers: receivers.addresses,
    destinations: s.destinations.map((d) => d.text),
  });
  return {
    node,
    receivers,
    async close() {
      s.log.event('listen.draining', {});
      await receivers.close().catch((e: unknown) => s.log.event('listen.error', { error: String(e) }));
      await node.drain();
      s.log.event('listen.stopped', {});
    },
    async abort() {
      node.stop();
      s.log.event('listen.aborted', { machinesStopped: machines.size });
      await Promise.allSettled([...machines].map((m) => m.stop(0)));
    },
  };
}
