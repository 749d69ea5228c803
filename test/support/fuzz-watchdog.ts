/**
 * A watchdog for the fuzz runner (./fuzz.ts): a decoder caught in a synchronous loop blocks the
 * event loop, so no timer of the test can report it. The runner copies each input into shared
 * memory before running it (a copy, no I/O); a worker thread looks every second and, when one case
 * has run for longer than the hang limit, writes that input to `<out>/<target>.hang.json`, says so
 * on stderr (synchronously: the main thread cannot print) and kills the process.
 */
import { Worker } from 'node:worker_threads';

/** Inputs longer than this are kept truncated (the fuzz inputs are a few KB). */
const CAPACITY = 1 << 20;
// Int32 slots: [0] case counter, [1] running (1) or idle (0), [2] input length, [3] label length.
const HEADER_BYTES = 16;
const LABEL_BYTES = 1024;

const WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { shared, limitMs, out, capacity, headerBytes, labelBytes } = workerData;
const slots = new Int32Array(shared, 0, 4);
const label = new Uint8Array(shared, headerBytes, labelBytes);
const data = new Uint8Array(shared, headerBytes + labelBytes, capacity);
let seen = -1;
let since = Date.now();
setInterval(() => {
  const n = Atomics.load(slots, 0);
  if (n !== seen || Atomics.load(slots, 1) === 0) { seen = n; since = Date.now(); return; }
  if (Date.now() - since < limitMs) return;
  const [target, variant, seed] = Buffer.from(label.subarray(0, slots[3])).toString('utf8').split('\\n');
  const bytes = Buffer.from(data.subarray(0, slots[2]));
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, target + '.hang.json');
  const saved = { target, variant, seed: Number(seed), base64: bytes.toString('base64') };
  fs.writeFileSync(file, JSON.stringify(saved, null, 1) + '\\n');
  fs.writeSync(2, '\\nfuzz: ' + target + ' (' + variant + ') has run one input for ' + (Date.now() - since) +
    ' ms: a hang. Input saved as ' + file + '; replay: BERTH_FUZZ_REPLAY=' + file + ' npm run fuzz\\n');
  process.kill(process.pid, 'SIGKILL');
}, 1000);
`;

/** The runner's side: mark a case as started or done. */
export interface Watchdog {
  start(target: string, variant: string, seed: number, bytes: Uint8Array): void;
  done(): void;
}

let instance: Watchdog | undefined;

/** Starts the watchdog thread once per process (it does not keep the process alive). */
export function watchdog(limitMs: number, out: string): Watchdog {
  if (instance) return instance;
  const shared = new SharedArrayBuffer(HEADER_BYTES + LABEL_BYTES + CAPACITY);
  const slots = new Int32Array(shared, 0, 4);
  const label = new Uint8Array(shared, HEADER_BYTES, LABEL_BYTES);
  const data = new Uint8Array(shared, HEADER_BYTES + LABEL_BYTES, CAPACITY);
  const workerData = {
    shared,
    limitMs,
    out,
    capacity: CAPACITY,
    headerBytes: HEADER_BYTES,
    labelBytes: LABEL_BYTES,
  };
  new Worker(WORKER, { eval: true, workerData, execArgv: [] }).unref();
  instance = {
    start(target, variant, seed, bytes) {
      const text = new TextEncoder().encodeInto(`${target}\n${variant}\n${seed}`, label);
      slots[3] = text.written;
      const n = Math.min(bytes.length, CAPACITY);
      data.set(bytes.subarray(0, n));
      slots[2] = n;
      Atomics.store(slots, 1, 1);
      Atomics.add(slots, 0, 1);
    },
    done() {
      Atomics.store(slots, 1, 0);
    },
  };
  return instance;
}
