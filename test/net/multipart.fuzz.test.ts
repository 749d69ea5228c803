/**
 * Fuzz of the STOW-RS multipart splitter (src/net/multipart.ts): well-formed bodies mutated at
 * byte level (with the delimiter, CRLF and header tokens as insertions), fed in random chunk
 * sizes; and arbitrary bytes. Each splits or throws BERTH_E_LISTEN_STOW_MULTIPART — never another
 * exception, a hang or unbounded memory (see test/support/fuzz.ts).
 */
import fc from 'fast-check';
import { MultipartSplitter } from '../../src/net/multipart.js';
import { fuzz, type FuzzCase } from '../support/fuzz.js';
import { applyByteEdits, byteEdits } from '../support/mutate.js';

const B = 'fuzz-boundary';
const enc = (s: string) => Buffer.from(s, 'latin1');
const BASE = Buffer.concat([
  enc(`preamble\r\n--${B}\r\nContent-Type: application/dicom\r\nX-A: 1\r\n\r\n`),
  Buffer.from([0, 1, 2, 3, 13, 10, 45, 45, 0xff]),
  enc(`\r\n--${B}\r\n\r\n--not-it\r\n--${B}--\r\nepilogue`),
]);
const TOKENS = [`\r\n--${B}`, `--${B}--`, '\r\n', '\r\n\r\n', ':', ' ', '\t', '--'].map(enc);

function run(c: FuzzCase): void {
  const size = Number.parseInt(c.variant, 10);
  const s = new MultipartSplitter(B);
  for (let i = 0; i < c.bytes.length; i += size) s.push(Buffer.from(c.bytes.subarray(i, i + size)));
  s.end();
}

const sizes = fc.constantFrom('1', '2', '5', '13', '64', '100000');
const mutated: fc.Arbitrary<FuzzCase> = fc
  .tuple(byteEdits(6), sizes)
  .map(([edits, variant]) => ({ bytes: applyByteEdits(BASE, edits, { tokens: TOKENS }), variant }));
const arbitrary: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .array(fc.constantFrom(...TOKENS, enc('x'), enc('Content-Type')), { maxLength: 40 })
        .map((t) => new Uint8Array(Buffer.concat(t))),
    ),
    sizes,
  )
  .map(([bytes, variant]) => ({ bytes, variant }));

describe('net/multipart under fuzz: mutated and arbitrary bodies split or fail with BERTH_E_LISTEN_STOW_MULTIPART', () => {
  it('splits every mutated body, in any chunking, or refuses it with the code, each within 2 s', async () => {
    await fuzz({ name: 'stow-multipart-mutated', quickRuns: 400, arbitrary: mutated, run });
  });

  it('does the same for arbitrary bytes and strings of delimiter tokens', async () => {
    await fuzz({ name: 'stow-multipart-arbitrary', quickRuns: 300, arbitrary, run });
  });
});
