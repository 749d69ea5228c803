/**
 * `npm run bench`: every benchmark, one after the other, in one process, each printing ratios
 * measured side by side in this run (ours against the physical floor and against the peers).
 * Pass names to run some: `npm run bench -- dicom tree`.
 */
import { benchCodecs } from './codecs.js';
import { benchDicom } from './dicom.js';
import { benchBatch } from './batch.js';
import { benchHarness } from './harness.js';
import { benchNdarray } from './ndarray.js';
import { benchTree } from './tree.js';
import { benchEir } from './eir.js';
import { benchGateway } from './gateway.js';
import { benchValidateStudy } from './validate-study.js';
import { benchDeid } from './deid.js';
import { benchListen } from './listen.js';
import { benchListenLatency } from './listen-latency.js';

type Bench = (report: (line: string) => void) => Promise<void>;

const BENCHES: Record<string, Bench> = {
  tree: benchTree,
  ndarray: benchNdarray,
  dicom: benchDicom,
  codecs: benchCodecs,
  harness: benchHarness,
  batch: benchBatch,
  validate: benchValidateStudy,
  gateway: benchGateway,
  deid: benchDeid,
  listen: benchListen,
  'listen-latency': benchListenLatency,
  eir: async (report) => {
    const r = await benchEir();
    report(
      `EIR stream: one epoch of ${r.samples} samples, batch ${r.batch}, through an EIR-like client (loopback)`,
    );
    report(
      `  bare ws server, batches serialised in advance (floor)   ${r.floorMs.toFixed(1).padStart(8)} ms`,
    );
    report(
      `  berth stream server                                     ${r.berthMs.toFixed(1).padStart(8)} ms   ${r.ratioToFloor.toFixed(2)}× floor, ${Math.round(r.samplesPerSecond)} samples/s`,
    );
  },
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
const started = Date.now();
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`no benchmark ${name}; have ${Object.keys(BENCHES).join(', ')}`);
    process.exitCode = 2;
    continue;
  }
  console.log(`\n## ${name}`);
  await bench((line) => console.log(line));
}
console.log(`\nbenchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
