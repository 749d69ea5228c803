/**
 * A defensive parser for what EIR clients send (notes/wire-formats.md PART A.3): one frame in,
 * one message or the text of the error reply out.
 */
import type { EirClientMessage } from './protocol.js';

/** Limits the parser enforces. */
export interface ParseOptions {
  /** The largest `batch_size` accepted; larger ones are refused with an error reply. */
  maxBatchSize: number;
}

/** The outcome of parsing one incoming frame: a message, or the text of the error reply to send. */
export type ParseResult =
  { ok: true; message: EirClientMessage } | { ok: false; error: string; type?: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The type of a JSON value, in words, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses one incoming frame. Never throws: anything malformed (bad UTF-8, bad JSON, not an
 * object, unknown or missing `type`, missing or wrong payload, a `batch_size` that is not an
 * integer in `[1, maxBatchSize]`) becomes the text of an error reply, so one bad message costs
 * the client one error reply and nothing else.
 *
 * Payloads are read defensively, as EIR's reference servers do (`data.get("payload", {})`):
 * messages that need no payload accept any or none.
 */
export function parseClientMessage(data: string | Uint8Array, options: ParseOptions): ParseResult {
  let text: string;
  if (typeof data === 'string') text = data;
  else {
    try {
      // EIR sends text frames; a binary frame holding UTF-8 JSON is accepted the way EIR itself
      // accepts binary JSON from servers.
      text = utf8.decode(data);
    } catch {
      return { ok: false, error: 'The message is not valid UTF-8' };
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `The message is not valid JSON: ${(e as Error).message}` };
  }
  if (!isPlainObject(doc))
    return { ok: false, error: `The message must be a JSON object, not ${describe(doc)}` };
  const type = doc['type'];
  if (typeof type !== 'string') {
    return { ok: false, error: `The message has no "type" string (found ${describe(type)})` };
  }
  const payload = doc['payload'];
  switch (type) {
    case 'handshake': {
      const version = doc['version'];
      if (typeof version !== 'string') {
        return { ok: false, type, error: `handshake needs a "version" string (found ${describe(version)})` };
      }
      const workerId = doc['worker_id'];
      if (workerId !== undefined && !(Number.isSafeInteger(workerId) && (workerId as number) >= 0)) {
        return { ok: false, type, error: `handshake "worker_id" must be a non-negative integer` };
      }
      return {
        ok: true,
        message:
          workerId === undefined ? { type, version } : { type, version, worker_id: workerId as number },
      };
    }
    case 'getInfo':
    case 'heartbeat':
    case 'reset':
    case 'status':
      return { ok: true, message: { type } };
    case 'getData': {
      if (!isPlainObject(payload)) {
        return {
          ok: false,
          type,
          error: `getData needs a payload {"batch_size": N} (found ${describe(payload)})`,
        };
      }
      const size = payload['batch_size'];
      if (!Number.isSafeInteger(size) || (size as number) < 1 || (size as number) > options.maxBatchSize) {
        return {
          ok: false,
          type,
          error: `getData "batch_size" must be an integer from 1 to ${options.maxBatchSize} (found ${describe(size)})`,
        };
      }
      return { ok: true, message: { type, payload: { batch_size: size as number } } };
    }
    case 'setValidationIds': {
      const ids = isPlainObject(payload) ? payload['validation_ids'] : undefined;
      if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
        return {
          ok: false,
          type,
          error: 'setValidationIds needs a payload {"validation_ids": [<sample_id>, ...]} with string ids',
        };
      }
      return { ok: true, message: { type, payload: { validation_ids: ids } } };
    }
    default:
      return { ok: false, type, error: `Unknown message type: ${JSON.stringify(type.slice(0, 60))}` };
  }
}
