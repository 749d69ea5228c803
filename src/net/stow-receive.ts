/**
 * The parts of one STOW-RS request into its staging batch: each part written to disk through the
 * multipart splitter as the body is read (a slow disk holds the body, not memory), checked, and reported as stored or failed with the
 * DICOM failure reason PS3.18 asks for.
 */
import type { Readable } from 'node:stream';
import { BerthError, isBerthError, toBerthError, type Code } from '../errors.js';
import { MultipartSplitter } from './multipart.js';
import type { ReceiveEventSink } from './receive-events.js';
import type { InstanceWriter, ReceivedInstance, StagingBatch } from './sink.js';

/** FailureReason (0008,1197) values berth answers. */
export const FAILURE = { outOfResources: 0xa700, doesNotMatch: 0xa900, cannotUnderstand: 0xc000 } as const;

/** One part that was not stored. */
export interface FailedPart {
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
  readonly reason: number;
  readonly code: Code;
  readonly message: string;
}

export interface StowResult {
  readonly stored: readonly ReceivedInstance[];
  readonly failed: readonly FailedPart[];
}

export interface StowReceiveOptions {
  readonly boundary: string;
  /** `/studies/{study}`: every instance must belong to it. */
  readonly study?: string;
  /** Most parts in one request. */
  readonly maxParts: number;
  readonly isFull: () => Promise<boolean>;
  readonly onEvent: ReceiveEventSink;
}

/** Streams every part of `body` into `batch`; throws (the request is malformed) on a bad body. */
export async function receiveParts(
  body: Readable,
  batch: StagingBatch,
  o: StowReceiveOptions,
): Promise<StowResult> {
  const splitter = new MultipartSplitter(o.boundary);
  const stored: ReceivedInstance[] = [];
  const failed: FailedPart[] = [];
  let writer: InstanceWriter | undefined;
  let refusal: FailedPart | undefined;
  const endPart = async () => {
    const outcome = refusal ?? (writer ? await finishPart(writer) : undefined);
    if (outcome && 'reason' in outcome) failed.push(outcome);
    else if (outcome) stored.push(outcome);
    report(o, batch, outcome);
    writer = undefined;
    refusal = undefined;
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (const e of splitter.push(chunk)) {
        if (e.type === 'part') {
          if (splitter.partCount > o.maxParts) throw tooManyParts(o.maxParts);
          refusal = await partRefusal(e.headers.get('content-type'), o);
          if (!refusal) writer = batch.write(o.study === undefined ? {} : { studyInstanceUid: o.study });
        } else if (e.type === 'data') {
          writer?.write(e.bytes);
        } else await endPart();
      }
    }
    splitter.end();
  } finally {
    await writer?.abandon();
  }
  return { stored, failed };
}

function tooManyParts(max: number): BerthError {
  return new BerthError('BERTH_E_LISTEN_STOW_MULTIPART', `The body has more than ${max} parts`, {
    expected: `at most ${max} instances in one request`,
  });
}

async function partRefusal(
  contentType: string | undefined,
  o: StowReceiveOptions,
): Promise<FailedPart | undefined> {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== undefined && type !== 'application/dicom') {
    return {
      reason: FAILURE.cannotUnderstand,
      code: 'BERTH_E_LISTEN_STOW_MEDIA_TYPE',
      message: `A part is ${type.slice(0, 80)}; berth takes application/dicom parts only`,
    };
  }
  if (await o.isFull()) {
    return {
      reason: FAILURE.outOfResources,
      code: 'BERTH_E_LISTEN_RECEIVE_FULL',
      message: "The spool's file system is full",
    };
  }
  return undefined;
}

async function finishPart(writer: InstanceWriter): Promise<ReceivedInstance | FailedPart> {
  try {
    return await writer.finish();
  } catch (e) {
    const err = isBerthError(e) ? e : toBerthError(e, 'BERTH_E_IO');
    return { reason: failureReasonOf(err.code), code: err.code, message: err.message };
  }
}

function failureReasonOf(code: Code): number {
  if (code === 'BERTH_E_LISTEN_RECEIVE_TOO_LARGE' || code === 'BERTH_E_IO') return FAILURE.outOfResources;
  if (code === 'BERTH_E_LISTEN_RECEIVE_UID_MISMATCH') return FAILURE.doesNotMatch;
  return FAILURE.cannotUnderstand;
}

function report(
  o: StowReceiveOptions,
  batch: StagingBatch,
  outcome: ReceivedInstance | FailedPart | undefined,
): void {
  if (!outcome) return;
  if ('reason' in outcome) {
    o.onEvent({
      event: 'instance-refused',
      protocol: 'stow',
      batch: batch.id,
      code: outcome.code,
      message: outcome.message,
    });
  } else {
    o.onEvent({
      event: 'instance-received',
      protocol: 'stow',
      batch: batch.id,
      sopInstanceUid: outcome.sopInstanceUid,
      bytes: outcome.bytes,
    });
  }
}

/** The PS3.18 STOW-RS response body (application/dicom+json) and its status. */
export function stowResponse(result: StowResult): { status: number; body: Record<string, unknown> } {
  const ui = (v: string | undefined) => ({ vr: 'UI', ...(v === undefined ? {} : { Value: [v] }) });
  const body: Record<string, unknown> = {};
  if (result.stored.length > 0) {
    body['00081199'] = {
      vr: 'SQ',
      Value: result.stored.map((i) => ({ '00081150': ui(i.sopClassUid), '00081155': ui(i.sopInstanceUid) })),
    };
  }
  if (result.failed.length > 0) {
    body['00081198'] = {
      vr: 'SQ',
      Value: result.failed.map((f) => ({
        '00081150': ui(f.sopClassUid),
        '00081155': ui(f.sopInstanceUid),
        '00081197': { vr: 'US', Value: [f.reason] },
      })),
    };
  }
  const status = result.failed.length === 0 ? 200 : result.stored.length === 0 ? 409 : 202;
  return { status, body };
}
