/**
 * A test client that behaves like EIR 0.23.0's streaming client (notes/wire-formats.md A.3–A.7):
 * the same messages, byte for byte in Python's `json.dumps` style, in the same order, with the
 * same reads, timeouts and failure modes, and decoders that accept exactly what EIR's decoders
 * accept (stricter where EIR would silently corrupt data, such as URL-safe base64).
 *
 * Deliberately independent of src/serve/eir: it must not share a bug with the server it tests.
 */
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObj = { [key: string]: Json };

/** Timeouts and limits; EIR's defaults, which tests usually shorten. */
export interface EirClientOptions {
  /** Read timeout after connect and during setup and training (EIR: 30 s). */
  recvMs?: number;
  /** Read timeout inside `validate_server_protocol` (EIR: 5 s). */
  validationMs?: number;
  /** One unit of the training backoff `min(2**(n-1), 30)` units (EIR: 1 s). */
  backoffUnitMs?: number;
  /** Bound on loop iterations, so a broken server fails a test instead of hanging it. */
  maxIterations?: number;
}

const DEFAULTS: Required<EirClientOptions> = {
  recvMs: 30_000,
  validationMs: 5_000,
  backoffUnitMs: 1_000,
  maxIterations: 100_000,
};

function withDefaults(o: EirClientOptions = {}): Required<EirClientOptions> {
  return { ...DEFAULTS, ...o };
}

/** Python `json.dumps` with its defaults: separators `", "` and `": "`, `ensure_ascii=True`. */
export function pythonJsonDumps(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
    .join(', ')}}`;
}

function isObj(value: unknown): value is JsonObj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rejects after `ms` with a message naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One WebSocket connection, as EIR's `websocket-client` uses it: send text frames, read one
 * message at a time with a timeout. Frames that arrive while nobody reads are kept, in order.
 */
export class EirWire {
  /** Every message sent, in order. */
  readonly sent: JsonObj[] = [];
  /** Close code once closed. */
  closeCode: number | undefined;
  /** Close reason once closed (empty when the peer gave none). */
  closeReason: string | undefined;
  private readonly inbox: (JsonObj | null)[] = [];
  private waiter: (() => void) | undefined;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as Buffer).toString();
      let parsed: JsonObj | null = null;
      try {
        const doc: unknown = JSON.parse(text);
        parsed = isObj(doc) ? doc : null;
      } catch {
        // EIR's receive_with_timeout logs a parse error and returns None.
      }
      this.inbox.push(parsed);
      this.waiter?.();
    });
    this.closedPromise = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        this.closeCode = code;
        this.closeReason = reason.toString('utf8');
        this.waiter?.();
        resolve();
      });
    });
    ws.on('error', () => {
      // Reported through 'close'; EIR's client treats socket errors as a failed read.
    });
  }

  /** Opens a connection (no handshake). */
  static async open(url: string, timeoutMs = 5_000): Promise<EirWire> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const wire = new EirWire(ws);
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', (e) => reject(e));
      }),
      timeoutMs,
      `connecting to ${url}`,
    ).catch((e: unknown) => {
      ws.terminate();
      throw e;
    });
    return wire;
  }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  /** Sends a message the way EIR does: `ws.send(json.dumps(message))`, a text frame. */
  send(message: JsonObj): void {
    this.sent.push(message);
    this.ws.send(pythonJsonDumps(message));
  }

  /** Sends any frame, for malformed-message tests. */
  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /**
   * EIR's `receive_with_timeout`: the next message, or null on timeout, unparsable JSON or a
   * closed connection (it never throws).
   */
  async recv(timeoutMs: number): Promise<JsonObj | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.inbox.length > 0) return this.inbox.shift() as JsonObj | null;
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          resolve();
        }, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  /** Like {@link recv} but throws instead of returning null, for tests that expect a reply. */
  async next(timeoutMs: number, what = 'a reply'): Promise<JsonObj> {
    const message = await this.recv(timeoutMs);
    if (message === null) throw new Error(`no ${what} within ${timeoutMs} ms (closed: ${this.closed})`);
    return message;
  }

  /** Messages received and not yet read. */
  get buffered(): number {
    return this.inbox.length;
  }

  /** Resolves when the server has closed the connection (or rejects after `timeoutMs`). */
  waitClosed(timeoutMs: number): Promise<void> {
    return within(this.closedPromise, timeoutMs, 'the connection to close');
  }

  /** Closes cleanly, forcing it after `timeoutMs`. */
  async close(timeoutMs = 2_000): Promise<void> {
    if (this.closed) return;
    this.ws.close();
    await within(this.closedPromise, timeoutMs, 'close').catch(() => {
      this.ws.terminate();
      return within(this.closedPromise, timeoutMs, 'terminate');
    });
  }
}

// --- EIR's client functions -----------------------------------------------------------------

/** `connect_to_server`: open, then C1 → S1 with the 30 s read. */
export async function connectToServer(url: string, options?: EirClientOptions): Promise<EirWire> {
  const o = withDefaults(options);
  const wire = await EirWire.open(url, o.recvMs);
  wire.send({ type: 'handshake', version: '1.0', worker_id: 0 });
  const reply = await wire.recv(o.recvMs);
  if (reply === null || reply['type'] !== 'handshake' || reply['version'] !== '1.0') {
    await wire.close();
    // EIR: a missing `version` is a KeyError; anything else fails the connection too.
    throw new Error(`handshake failed: ${JSON.stringify(reply)}`);
  }
  return wire;
}

/**
 * `validate_server_protocol`: getInfo, getData(1) (consumes one sample), heartbeat, reset with
 * two reads of which one must be `resetConfirmation`; every read 5 s.
 */
export async function validateServerProtocol(wire: EirWire, options?: EirClientOptions): Promise<void> {
  const o = withDefaults(options);
  const expect = async (type: string): Promise<void> => {
    const reply = await wire.recv(o.validationMs);
    if (reply === null || reply['type'] !== type) {
      throw new Error(`server protocol validation: expected ${type}, got ${JSON.stringify(reply)}`);
    }
  };
  wire.send({ type: 'getInfo' });
  await expect('info');
  wire.send({ type: 'getData', payload: { batch_size: 1 } });
  await expect('data');
  wire.send({ type: 'heartbeat' });
  await expect('heartbeat');
  wire.send({ type: 'reset' });
  const first = await wire.recv(o.validationMs);
  const second = await wire.recv(o.validationMs);
  if (first?.['type'] !== 'resetConfirmation' && second?.['type'] !== 'resetConfirmation') {
    throw new Error(`server protocol validation: no resetConfirmation (${JSON.stringify([first, second])})`);
  }
}

/** `get_status` on its own connection: C6 → S6. */
export async function getStatus(url: string, options?: EirClientOptions): Promise<JsonObj> {
  const o = withDefaults(options);
  const wire = await connectToServer(url, o);
  try {
    wire.send({ type: 'status', payload: {} });
    const reply = await wire.recv(o.recvMs);
    if (reply === null) throw new TypeError("'NoneType' object is not subscriptable (status)");
    if (reply['type'] !== 'status' || !isObj(reply['payload']))
      throw new Error(`bad status: ${JSON.stringify(reply)}`);
    return reply['payload'];
  } finally {
    await wire.close();
  }
}

/** What the setup gatherer collected. */
export interface GatherResult {
  info: JsonObj;
  /** Raw samples, as received, up to `setupSamples`. */
  samples: JsonObj[];
  /** The same, decoded as EIR's `process_single_data` would. */
  decoded: DecodedSample[];
  sawTerminate: boolean;
  /** getData requests sent after validation. */
  requests: number;
}

/**
 * `gather_and_save_data` on its own connection: validate, getInfo, then getData(batchSize) until
 * `setupSamples` samples or a `"terminate"` element. Non-data replies are re-requested; a missing
 * reply crashes (as EIR's `None["type"]` does); `[]` forever would hang EIR, so it fails here
 * after `maxIterations`.
 */
export async function gatherAndSaveData(
  url: string,
  setup: { setupSamples: number; batchSize: number },
  options?: EirClientOptions,
): Promise<GatherResult> {
  const o = withDefaults(options);
  const wire = await connectToServer(url, o);
  try {
    await validateServerProtocol(wire, o);
    wire.send({ type: 'getInfo' });
    const infoReply = await wire.recv(o.recvMs);
    if (infoReply === null) throw new TypeError("'NoneType' object is not subscriptable (getInfo)");
    if (infoReply['type'] !== 'info' || !isObj(infoReply['payload'])) {
      throw new Error(`bad info reply: ${JSON.stringify(infoReply)}`);
    }
    const info = infoReply['payload'];
    const samples: JsonObj[] = [];
    let sawTerminate = false;
    let requests = 0;
    while (samples.length < setup.setupSamples && !sawTerminate) {
      if (requests >= o.maxIterations)
        throw new Error(`setup did not end after ${requests} getData requests`);
      wire.send({ type: 'getData', payload: { batch_size: setup.batchSize } });
      requests++;
      const reply = await wire.recv(o.recvMs);
      if (reply === null) throw new TypeError("'NoneType' object is not subscriptable (getData)");
      if (reply['type'] !== 'data') continue; // EIR logs it and asks again
      const payload = reply['payload'];
      if (!Array.isArray(payload))
        throw new Error(`data payload is not a list: ${JSON.stringify(reply).slice(0, 200)}`);
      for (const element of payload) {
        if (element === 'terminate') {
          sawTerminate = true;
          break;
        }
        if (samples.length >= setup.setupSamples) break; // the rest of the batch is discarded
        if (!isObj(element))
          throw new Error(`sample is not an object: ${JSON.stringify(element).slice(0, 200)}`);
        samples.push(element);
      }
    }
    const decoded = samples.map((s) => decodeEirSample(info, s));
    return { info, samples, decoded, sawTerminate, requests };
  } finally {
    await wire.close();
  }
}

/**
 * `StreamDataGatherer.reset` on its own connection: C5b, then exactly two reads (30 s each); a
 * missing one is fatal, and the `reset` message's `payload.message` is read.
 */
export async function resetServer(url: string, options?: EirClientOptions): Promise<[JsonObj, JsonObj]> {
  const o = withDefaults(options);
  const wire = await connectToServer(url, o);
  try {
    wire.send({ type: 'reset', payload: {} });
    const first = await wire.recv(o.recvMs);
    const second = await wire.recv(o.recvMs);
    if (first === null || second === null)
      throw new TypeError("'NoneType' object is not subscriptable (reset)");
    const types = [first['type'], second['type']].sort();
    if (types[0] !== 'reset' || types[1] !== 'resetConfirmation') {
      throw new Error(`reset replies: ${JSON.stringify([first, second])}`);
    }
    const resetMessage = first['type'] === 'reset' ? first : second;
    const payload = resetMessage['payload'];
    if (!isObj(payload) || typeof payload['message'] !== 'string')
      throw new Error('reset payload.message missing');
    return [first, second];
  } finally {
    await wire.close();
  }
}

/** `send_validation_ids` on its own connection: C7 → S7, any other type is fatal. */
export async function sendValidationIds(
  url: string,
  ids: string[],
  options?: EirClientOptions,
): Promise<string> {
  const o = withDefaults(options);
  const wire = await connectToServer(url, o);
  try {
    wire.send({ type: 'setValidationIds', payload: { validation_ids: ids } });
    const reply = await wire.recv(o.recvMs);
    if (reply === null) throw new TypeError("'NoneType' object is not subscriptable (setValidationIds)");
    const payload = reply['payload'];
    if (
      reply['type'] !== 'validationIdsConfirmation' ||
      !isObj(payload) ||
      typeof payload['message'] !== 'string'
    ) {
      throw new Error(`ValueError: bad validation ids confirmation ${JSON.stringify(reply)}`);
    }
    return payload['message'];
  } finally {
    await wire.close();
  }
}

/** What one training epoch saw. */
export interface EpochResult {
  samples: JsonObj[];
  batches: number;
  /** Requests sent after validation (the extra heartbeat included). */
  sent: { heartbeat: number; getData: number };
  /** Replies still unread when the epoch ended (EIR discards them). */
  unread: number;
  /** Error replies seen (EIR logs them and asks again). */
  errors: string[];
  /** Why the epoch ended. */
  end: 'terminate' | 'empty' | 'failures';
}

/** `Sample(**d)`: exactly `sample_id`, `inputs`, `target_labels`, or a TypeError. */
export function toSample(d: JsonObj): { sample_id: Json; inputs: Json; target_labels: Json } {
  const keys = Object.keys(d).sort();
  if (keys.join(',') !== 'inputs,sample_id,target_labels') {
    throw new TypeError(`Sample.__init__() got keys ${keys.join(', ')}`);
  }
  return {
    sample_id: d['sample_id'] as Json,
    inputs: d['inputs'] as Json,
    target_labels: d['target_labels'] as Json,
  };
}

/**
 * One `StreamingDataset.__iter__`: connect, validate (which resets the stream), one extra
 * heartbeat left unread, then `_fetch_batch` until `[]` / `["terminate"]` or three consecutive
 * missing replies: each iteration sends heartbeat **and** getData and reads one reply, so
 * replies pile up unread, as in EIR.
 */
export async function trainingEpoch(
  url: string,
  training: { batchSize: number },
  options?: EirClientOptions,
): Promise<EpochResult> {
  const o = withDefaults(options);
  const wire = await connectToServer(url, o);
  const result: EpochResult = {
    samples: [],
    batches: 0,
    sent: { heartbeat: 0, getData: 0 },
    unread: 0,
    errors: [],
    end: 'failures',
  };
  try {
    await validateServerProtocol(wire, o);
    wire.send({ type: 'heartbeat' });
    result.sent.heartbeat++;
    let failures = 0;
    for (let iteration = 0; ; iteration++) {
      if (iteration >= o.maxIterations)
        throw new Error(`training epoch did not end after ${iteration} reads`);
      wire.send({ type: 'heartbeat' });
      wire.send({ type: 'getData', payload: { batch_size: training.batchSize } });
      result.sent.heartbeat++;
      result.sent.getData++;
      const reply = await wire.recv(o.recvMs);
      if (reply === null) {
        if (wire.closed) throw new Error('connection closed during training (EIR would reconnect and reset)');
        failures++;
        if (failures >= 3) break;
        await new Promise((r) => setTimeout(r, Math.min(2 ** (failures - 1), 30) * o.backoffUnitMs));
        continue;
      }
      failures = 0;
      const type = reply['type'];
      if (type === 'error') {
        const payload = reply['payload'];
        result.errors.push(isObj(payload) ? String(payload['message']) : JSON.stringify(payload));
        continue;
      }
      if (type !== 'data') continue; // heartbeat and anything else: ask again
      const payload = reply['payload'];
      if (!Array.isArray(payload))
        throw new Error(`data payload is not a list: ${JSON.stringify(payload).slice(0, 200)}`);
      if (payload.length === 0) {
        result.end = 'empty';
        break;
      }
      if (payload.length === 1 && payload[0] === 'terminate') {
        result.end = 'terminate';
        break;
      }
      for (const element of payload) {
        if (!isObj(element)) throw new TypeError(`Sample(**${JSON.stringify(element)}) is not a mapping`);
        toSample(element);
        result.samples.push(element);
      }
      result.batches++;
    }
    // Give in-flight replies a moment to land so the count of unread ones is meaningful.
    await new Promise((r) => setTimeout(r, 20));
    result.unread = wire.buffered;
    return result;
  } finally {
    await wire.close();
  }
}

/** A whole `eirtrain` run against a stream server, connection by connection (A.4). */
export interface SessionResult {
  statusBefore: JsonObj;
  setup: GatherResult;
  reset: [JsonObj, JsonObj];
  statusAfter: JsonObj;
  validationIds: string[];
  validationConfirmation: string;
  epochs: EpochResult[];
  statusEnd: JsonObj;
}

/**
 * Setup (status, gather, reset, status, validation ids) then `epochs` training epochs, each on a
 * fresh connection. Validation ids are every `round(1/validSize)`-th gathered id (EIR picks them
 * at random; a fixed pick keeps tests reproducible).
 */
export async function runEirSession(
  url: string,
  session: {
    setupSamples: number;
    setupBatchSize: number;
    batchSize: number;
    validSize?: number;
    epochs?: number;
  },
  options?: EirClientOptions,
): Promise<SessionResult> {
  const statusBefore = await getStatus(url, options);
  const setup = await gatherAndSaveData(
    url,
    { setupSamples: session.setupSamples, batchSize: session.setupBatchSize },
    options,
  );
  const reset = await resetServer(url, options);
  const statusAfter = await getStatus(url, options);
  const every = Math.max(1, Math.round(1 / (session.validSize ?? 0.1)));
  const validationIds = setup.samples.map((s) => String(s['sample_id'])).filter((_, i) => i % every === 0);
  const validationConfirmation = await sendValidationIds(url, validationIds, options);
  const epochs: EpochResult[] = [];
  for (let e = 0; e < (session.epochs ?? 1); e++)
    epochs.push(await trainingEpoch(url, { batchSize: session.batchSize }, options));
  const statusEnd = await getStatus(url, options);
  return {
    statusBefore,
    setup,
    reset,
    statusAfter,
    validationIds,
    validationConfirmation,
    epochs,
    statusEnd,
  };
}

// --- decoding, as EIR's process_single_data / deserialize_* --------------------------------

/** One decoded value. */
export type DecodedValue =
  | { type: 'sequence'; text: string }
  | { type: 'tabular'; columns: JsonObj }
  | { type: 'survival'; columns: JsonObj }
  | { type: 'array'; shape: number[]; data: Float32Array }
  | { type: 'omics'; shape: number[]; data: boolean[] }
  | { type: 'image'; format: 'png' | 'jpeg'; width: number; height: number; rgba: Uint8Array }
  | { type: 'passthrough'; value: Json };

/** One decoded sample. */
export interface DecodedSample {
  sampleId: string;
  inputs: Record<string, DecodedValue>;
  targets: Record<string, DecodedValue>;
}

/** `base64.b64decode`, but refusing what Python would silently corrupt (URL-safe, unpadded). */
export function strictBase64(text: Json, where: string): Buffer {
  if (typeof text !== 'string') throw new Error(`${where}: expected a base64 string`);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    throw new Error(`${where}: not padded standard base64`);
  return Buffer.from(text, 'base64');
}

function shapeOf(entry: JsonObj, where: string): number[] {
  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d)))
    throw new Error(`${where}: KeyError 'shape'`);
  return shape as number[];
}

/** `np.frombuffer(bytes, float32).reshape(shape)`, little-endian. */
function decodeFloat32(text: Json, shape: number[], where: string): Float32Array {
  const bytes = strictBase64(text, where);
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== 4 * n)
    throw new Error(`${where}: cannot reshape ${bytes.length} bytes into float32 ${JSON.stringify(shape)}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

function decodeImage(text: Json, where: string): DecodedValue {
  const bytes = strictBase64(text, where);
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    const png = PNG.sync.read(bytes);
    return {
      type: 'image',
      format: 'png',
      width: png.width,
      height: png.height,
      rgba: new Uint8Array(png.data),
    };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const img = jpeg.decode(bytes, { useTArray: true });
    return { type: 'image', format: 'jpeg', width: img.width, height: img.height, rgba: img.data };
  }
  throw new Error(`${where}: not an image PIL would open here (neither PNG nor JPEG)`);
}

/**
 * Decodes a sample against the dataset info as EIR does: inputs by their info type (inputs not in
 * the info pass through), target labels by their output type (a label not in `outputs` is EIR's
 * TypeError), array/image/sequence targets nested under their own name.
 */
export function decodeEirSample(info: JsonObj, raw: JsonObj): DecodedSample {
  const sample = toSample(raw);
  if (typeof sample.sample_id !== 'string') throw new Error('sample_id is not a string');
  const id = sample.sample_id;
  if (!isObj(sample.inputs) || !isObj(sample.target_labels))
    throw new Error(`${id}: inputs/target_labels not objects`);
  const inputsInfo = isObj(info['inputs']) ? info['inputs'] : {};
  const outputsInfo = isObj(info['outputs']) ? info['outputs'] : {};
  const inputs: Record<string, DecodedValue> = {};
  for (const [name, value] of Object.entries(sample.inputs)) {
    const entry = inputsInfo[name];
    const where = `${id} inputs.${name}`;
    if (!isObj(entry)) {
      inputs[name] = { type: 'passthrough', value };
      continue;
    }
    switch (entry['type']) {
      case 'sequence':
        if (typeof value !== 'string') throw new Error(`${where}: sequence must be a string`);
        inputs[name] = { type: 'sequence', text: value };
        break;
      case 'tabular':
        if (!isObj(value)) throw new Error(`${where}: tabular must be a dict`);
        inputs[name] = { type: 'tabular', columns: value };
        break;
      case 'array':
        inputs[name] = {
          type: 'array',
          shape: shapeOf(entry, where),
          data: decodeFloat32(value, shapeOf(entry, where), where),
        };
        break;
      case 'omics': {
        const shape = shapeOf(entry, where);
        if (shape.length !== 2) throw new Error(`${where}: AssertionError len(shape) == 2`);
        const bytes = strictBase64(value, where);
        if (bytes.length !== shape[0]! * shape[1]!)
          throw new Error(
            `${where}: cannot reshape ${bytes.length} bytes into bool ${JSON.stringify(shape)}`,
          );
        if (bytes.some((b) => b > 1)) throw new Error(`${where}: bool bytes must be 0 or 1`);
        inputs[name] = { type: 'omics', shape, data: Array.from(bytes, (b) => b === 1) };
        break;
      }
      case 'image':
        inputs[name] = decodeImage(value, where);
        break;
      default:
        throw new Error(`${where}: Unsupported data type ${JSON.stringify(entry['type'])}`);
    }
  }
  const targets: Record<string, DecodedValue> = {};
  for (const [name, value] of Object.entries(sample.target_labels)) {
    const entry = outputsInfo[name];
    const where = `${id} target_labels.${name}`;
    if (!isObj(entry))
      throw new TypeError(`${where}: 'NoneType' object is not subscriptable (not in outputs)`);
    if (!isObj(value)) throw new Error(`${where}: must be a dict`);
    switch (entry['type']) {
      case 'tabular':
        targets[name] = { type: 'tabular', columns: value };
        break;
      case 'survival':
        targets[name] = { type: 'survival', columns: value };
        break;
      case 'array':
        targets[name] = {
          type: 'array',
          shape: shapeOf(entry, where),
          data: decodeFloat32(value[name] ?? null, shapeOf(entry, where), where),
        };
        break;
      case 'image':
        targets[name] = decodeImage(value[name] ?? null, where);
        break;
      case 'sequence': {
        const text = value[name];
        if (typeof text !== 'string') throw new Error(`${where}: nested sequence must be a string`);
        targets[name] = { type: 'sequence', text };
        break;
      }
      default:
        throw new Error(`${where}: unknown output type ${JSON.stringify(entry['type'])}`);
    }
  }
  return { sampleId: id, inputs, targets };
}
