/**
 * The stream state of an EIR server and the replies to every request after the handshake.
 *
 * EIR opens many connections one after another (status, setup, reset, validation ids, one per
 * epoch, one per reconnect: notes A.4), so the position in the data and the validation ids live
 * here, once per server, never per connection. Nothing here knows about sockets.
 */
import { BerthError } from '../../errors.js';
import type { JsonObject } from '../../manifest/document.js';
import { EIR_PROTOCOL_VERSION, EIR_TERMINATE, errorReply } from './protocol.js';
import { checkDatasetInfo, checkSampleIds, toWireSample } from './protocol-checks.js';
import type {
  EirClientMessage,
  EirDatasetInfo,
  EirSample,
  EirSampleSource,
  EirServerMessage,
} from './protocol.js';

/** Options of {@link EirStream}. */
export interface EirStreamOptions {
  /** How many samples of one batch are loaded at once (order is kept regardless). Default 16. */
  loadConcurrency?: number;
  /** Called for every sample the source failed to give; the stream skips it and goes on. */
  onSampleError?: (error: BerthError) => void;
}

/** What a claim on the stream gives: the next ids, or the end of the data. */
export type EirClaim = { kind: 'samples'; ids: string[] } | { kind: 'terminate' };

/** The payload of a `status` reply (EIR only logs it). */
export interface EirStatus extends JsonObject {
  protocol_version: string;
  /** Resets so far; EIR resets at the start of every epoch. */
  resets: number;
  /** Sample ids of the source (training and validation). */
  total: number;
  /** Of those, how many EIR has set aside for validation. */
  validation: number;
  /** Samples claimed since the last reset (skipped ones included). */
  served: number;
  /** Training samples not yet given out in this pass. */
  remaining: number;
  /** True once `["terminate"]` has been sent and until the next reset. */
  exhausted: boolean;
  /** Samples the source failed to give, since start. */
  skipped: number;
  /** `["terminate"]` replies sent since start. */
  terminates: number;
  /** Connections open now. */
  connections: number;
}

/**
 * The shared stream: a cursor over the source's ids (minus validation ids), reset by `reset`,
 * ending with `["terminate"]`.
 *
 * End of data (notes A.5): the batch that reaches the end may be short; the next `getData` gets
 * exactly `["terminate"]`, never `[]` (EIR's setup phase would loop forever on `[]`) and never
 * samples mixed with `"terminate"` (training would crash). Every later `getData` gets
 * `["terminate"]` again until a reset: EIR pipelines about two getData per batch it reads, so
 * requests already in flight when the data ends must not start a new pass; the next epoch starts
 * with the reset EIR sends when it reconnects.
 */
export class EirStream {
  readonly source: EirSampleSource;
  /** Connections open now; kept by the server, reported in the status. */
  connections = 0;

  private readonly loadConcurrency: number;
  private readonly onSampleError: ((error: BerthError) => void) | undefined;
  private readonly datasetInfo: EirDatasetInfo;
  private order: readonly string[];
  private known: Set<string>;
  private validation = new Set<string>();
  private cursor = 0;
  private exhausted = false;
  private served = 0;
  private resets = 0;
  private skipped = 0;
  private terminates = 0;

  /**
   * Reads the source's info and ids once, so a source EIR could not use fails here, at start,
   * with a {@link BerthError} `BERTH_E_EIR_SOURCE`, rather than in EIR's setup phase.
   */
  constructor(source: EirSampleSource, options: EirStreamOptions = {}) {
    this.source = source;
    this.loadConcurrency = Math.max(1, Math.floor(options.loadConcurrency ?? 16));
    this.onSampleError = options.onSampleError;
    const info = source.info();
    const problems = checkDatasetInfo(info);
    if (problems.length > 0) {
      throw new BerthError('BERTH_E_EIR_SOURCE', `The EIR dataset info is unusable: ${problems.join('; ')}`);
    }
    this.datasetInfo = info;
    this.order = readIds(source);
    this.known = new Set(this.order);
  }

  /** The dataset info, as read at start. */
  info(): EirDatasetInfo {
    return this.datasetInfo;
  }

  /**
   * Takes up to `batchSize` next training ids, skipping validation ids. Synchronous, so claims from
   * concurrent connections never overlap.
   */
  claim(batchSize: number): EirClaim {
    if (this.exhausted) {
      this.terminates++;
      return { kind: 'terminate' };
    }
    const ids: string[] = [];
    while (ids.length < batchSize && this.cursor < this.order.length) {
      const id = this.order[this.cursor++] as string;
      if (!this.validation.has(id)) ids.push(id);
    }
    if (ids.length === 0) {
      this.exhausted = true;
      this.terminates++;
      return { kind: 'terminate' };
    }
    this.served += ids.length;
    return { kind: 'samples', ids };
  }

  /**
   * Back to the first sample. The ids are read again, so a source that grew is seen; if the new
   * list is unusable the old one is kept and the error thrown.
   */
  reset(): void {
    const order = readIds(this.source);
    this.cursor = 0;
    this.exhausted = false;
    this.served = 0;
    this.resets++;
    this.order = order;
    this.known = new Set(order);
  }

  /**
   * Replaces the validation ids: they are skipped from now on, also in the current pass. Ids the
   * source does not know are counted and otherwise ignored.
   */
  setValidationIds(ids: readonly string[]): { count: number; unknown: number } {
    this.validation = new Set(ids);
    let unknown = 0;
    for (const id of this.validation) if (!this.known.has(id)) unknown++;
    return { count: this.validation.size, unknown };
  }

  /** The ids given out in a training pass, in order (source order minus validation ids). */
  trainingIds(): string[] {
    return this.order.filter((id) => !this.validation.has(id));
  }

  /** The status payload. */
  status(): EirStatus {
    let remaining = 0;
    if (!this.exhausted) {
      for (let i = this.cursor; i < this.order.length; i++)
        if (!this.validation.has(this.order[i] as string)) remaining++;
    }
    let validation = 0;
    for (const id of this.validation) if (this.known.has(id)) validation++;
    return {
      protocol_version: EIR_PROTOCOL_VERSION,
      resets: this.resets,
      total: this.order.length,
      validation,
      served: this.served,
      remaining,
      exhausted: this.exhausted,
      skipped: this.skipped,
      terminates: this.terminates,
      connections: this.connections,
    };
  }

  /**
   * The replies to one request after the handshake, in the order they must be sent: one per
   * request, two for `reset`. Never rejects: failures become error replies.
   */
  async respond(message: Exclude<EirClientMessage, { type: 'handshake' }>): Promise<EirServerMessage[]> {
    switch (message.type) {
      case 'getInfo':
        return [{ type: 'info', payload: this.datasetInfo }];
      case 'heartbeat':
        return [{ type: 'heartbeat' }];
      case 'status':
        return [{ type: 'status', payload: this.status() }];
      case 'reset':
        try {
          this.reset();
        } catch (e) {
          return [errorReply(`Reset failed: ${(e as Error).message}`)];
        }
        // Both, always: EIR's gatherer reads exactly two messages after a reset and fails on a
        // missing one; it reads payload.message of the `reset` one.
        return [
          { type: 'resetConfirmation', payload: { message: 'Reset successful' } },
          { type: 'reset', payload: { message: 'Reset command received' } },
        ];
      case 'setValidationIds': {
        const { count, unknown } = this.setValidationIds(message.payload.validation_ids);
        const note = unknown > 0 ? ` (${unknown} not known to this server)` : '';
        return [
          {
            type: 'validationIdsConfirmation',
            payload: {
              message: `Received ${count} validation IDs${note}; they are excluded from training data`,
            },
          },
        ];
      }
      case 'getData': {
        const claim = this.claim(message.payload.batch_size);
        if (claim.kind === 'terminate') return [{ type: 'data', payload: [EIR_TERMINATE] }];
        const { samples, errors } = await this.load(claim.ids);
        // A failed sample is skipped (the cursor has moved past it, so a failing sample cannot
        // stall EIR, which asks again after an error reply); the rest of the batch still goes out.
        if (samples.length > 0) return [{ type: 'data', payload: samples }];
        return [errorReply(`No sample of this batch could be loaded: ${errors.slice(0, 3).join('; ')}`)];
      }
    }
  }

  /** Loads samples in id order with bounded concurrency; failures are reported and left out. */
  private async load(ids: string[]): Promise<{ samples: EirSample[]; errors: string[] }> {
    const results: (EirSample | string)[] = new Array<EirSample | string>(ids.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const i = next++;
        const id = ids[i] as string;
        try {
          const checked = toWireSample(await this.source.sample(id), id);
          results[i] = checked.ok ? checked.sample : checked.error;
        } catch (e) {
          results[i] = `sample ${id} could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.loadConcurrency, ids.length) }, worker));
    const samples: EirSample[] = [];
    const errors: string[] = [];
    for (const r of results) {
      if (typeof r !== 'string') {
        samples.push(r);
        continue;
      }
      errors.push(r);
      this.skipped++;
      try {
        this.onSampleError?.(new BerthError('BERTH_E_EIR_SOURCE', r));
      } catch {
        // A failing observer must not turn a skipped sample into a lost reply.
      }
    }
    return { samples, errors };
  }
}

function readIds(source: EirSampleSource): readonly string[] {
  const ids = [...source.ids()];
  const problems = checkSampleIds(ids);
  if (problems.length > 0) {
    throw new BerthError('BERTH_E_EIR_SOURCE', `The EIR sample ids are unusable: ${problems.join('; ')}`);
  }
  return ids;
}
