// The least a Node process can do to index a study: read each file's first 16 KB and walk its
// explicit VR little endian elements inline for four UIDs and the modality — no checks, no
// manifest, no error handling, nothing kept but five strings a file. The validate bench times it
// as the floor of a JavaScript process that parses, beside the raw-read floor.
// Usage: node bench/minimal-uid-scan.cjs FILES.json
'use strict';
const fs = require('node:fs');

const WANTED = new Map([
  [0x00080018, 0], // SOPInstanceUID
  [0x0020000d, 1], // StudyInstanceUID
  [0x0020000e, 2], // SeriesInstanceUID
  [0x00080016, 3], // SOPClassUID
  [0x00080060, 4], // Modality
]);
const LONG_VRS = new Set(
  ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].map(
    (vr) => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1),
  ),
);
const b = Buffer.allocUnsafe(16384);
const at = new Float64Array(10);
const kept = [];
for (const file of JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))) {
  const fd = fs.openSync(file, 'r');
  const n = fs.readSync(fd, b, 0, b.length, 0);
  fs.closeSync(fd);
  at.fill(-1);
  let pos = 132;
  while (pos + 12 <= n) {
    const tag = (b[pos] | (b[pos + 1] << 8)) * 0x10000 + (b[pos + 2] | (b[pos + 3] << 8));
    if (tag === 0x7fe00010) break;
    const vr = (b[pos + 4] << 8) | b[pos + 5];
    let length;
    let value;
    if (LONG_VRS.has(vr)) {
      length = (b[pos + 8] | (b[pos + 9] << 8) | (b[pos + 10] << 16)) + b[pos + 11] * 0x1000000;
      value = pos + 12;
    } else {
      length = b[pos + 6] | (b[pos + 7] << 8);
      value = pos + 8;
    }
    const slot = WANTED.get(tag);
    if (slot !== undefined) {
      at[slot * 2] = value;
      at[slot * 2 + 1] = length;
    }
    pos = value + length;
  }
  const text = (slot) => b.toString('latin1', at[slot * 2], at[slot * 2] + at[slot * 2 + 1]);
  kept.push([text(0), text(1), text(2), text(3), text(4)]);
}
if (kept.length === 0) process.exitCode = 1;
