/**
 * msgpack bytes checked before parsing (src/wire/msgpack-scan.ts): one map and nothing after it,
 * strict UTF-8, no extension types but in-range timestamps, bounded nesting — each refusal quick,
 * bounded in its message, and pointing at the place.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { boundedText, isBerthError, MAX_CAUSE_TEXT } from '../../src/errors.js';
import { decodeTreeMsgpack, parseMsgpackDocument } from '../../src/wire/case.js';
import { scanMsgpackMap } from '../../src/wire/msgpack-scan.js';
import { packForPython, unpackNdarray, packNdarray } from '../../src/wire/ndarray-msgpack.js';
import { ndarray } from '../../src/ndarray/ndarray.js';
import { codeOf } from '../support/codes.js';
import { definitionOf, freshPaths, listFiles, problemsOf } from '../support/wire-case.js';

const DEF = definitionOf(`
metadata-version: 2
info: {name: wire-scan}
schema-in:
  text: {type: string}
  when: {type: date-time, nullable: true}
  tags: {type: array, items: {type: string}, nullable: true}
schema-out:
  ok: {type: boolean}
`);

/** A map of str keys as msgpack bytes, with raw bytes spliced in as the value of `key`. */
function withRaw(key: string, raw: Uint8Array, rest: Record<string, unknown> = { text: 'x' }): Buffer {
  const head = packForPython(rest);
  // fixmap n → fixmap n+1, then the key and the raw value after the other members.
  const n = head[0]! & 0x0f;
  return Buffer.concat([Buffer.of(0x80 | (n + 1)), head.subarray(1), packForPython(key), raw]);
}

/** Ext −1 (timestamp 96): nanoseconds (uint32) and seconds (int64). */
function timestamp96(nanos: number, seconds: bigint): Buffer {
  const b = Buffer.alloc(15);
  b[0] = 0xc7;
  b[1] = 12;
  b[2] = 0xff;
  b.writeUInt32BE(nanos, 3);
  b.writeBigInt64BE(seconds, 7);
  return b;
}

/** The problem of a scan as `[code, path]`, or undefined when it passes. */
function scanned(bytes: Uint8Array, maxNesting = 66): [string, string | undefined] | undefined {
  try {
    scanMsgpackMap(bytes, maxNesting);
  } catch (e) {
    if (isBerthError(e)) return [e.code, e.path];
    throw e;
  }
  return undefined;
}

describe('wire/msgpack-scan: msgpack checked before parsing', () => {
  const fresh = freshPaths('wire-scan');

  it('refuses a 4 MB top-level array followed by a byte at once, with a short message (no serialised value)', () => {
    const big = Buffer.concat([
      Buffer.of(0xdd, 0x00, 0x40, 0x00, 0x00),
      Buffer.alloc(0x400000, 0x01),
      Buffer.of(0xc0),
    ]);
    const t0 = performance.now();
    let message = '';
    try {
      parseMsgpackDocument(big);
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_VALUE_TYPE');
      message = (e as Error).message;
    }
    expect(performance.now() - t0).to.be.below(1000);
    expect(message).to.match(/must be a msgpack map, not an array/);
    expect(message.length).to.be.below(300);
  });

  it('refuses bytes after the map, after a lone array map, and after an ndarray map, without quoting them', () => {
    const doc = packForPython({ text: 'y'.repeat(100_000) });
    const trailing = Buffer.concat([doc, Buffer.of(0x91, 0x01)]);
    expect(scanned(trailing)).to.deep.equal(['BERTH_E_WIRE_FORMAT', '']);
    let message = '';
    try {
      parseMsgpackDocument(trailing);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/2 byte\(s\) after its map/);
    expect(message).to.not.include('yyyy');
    const arr = packNdarray(ndarray('uint8', [3], [1, 2, 3]));
    expect(codeOf(() => unpackNdarray(Buffer.concat([arr, Buffer.of(0xc0)])))).to.equal(
      'BERTH_E_WIRE_FORMAT',
    );
    expect(codeOf(() => unpackNdarray(packForPython([1, 2])))).to.equal('BERTH_E_VALUE_TYPE');
    expect(Array.from(unpackNdarray(arr).data as Uint8Array)).to.deep.equal([1, 2, 3]);
  });

  it('refuses invalid UTF-8 in a str value or key with BERTH_E_NOT_UTF8 and the JSON pointer', async () => {
    const bad = Buffer.of(0xa3, 0x61, 0xff, 0x62); // "a\xffb"
    const dir = fresh();
    expect(await problemsOf(() => decodeTreeMsgpack(DEF.inputs, withRaw('when', bad), dir))).to.deep.equal([
      ['BERTH_E_NOT_UTF8', '/when'],
    ]);
    expect(await listFiles(dir)).to.deep.equal([]);
    const inList = withRaw('tags', Buffer.concat([Buffer.of(0x92, 0xa1, 0x61), bad]));
    expect(scanned(inList)).to.deep.equal(['BERTH_E_NOT_UTF8', '/tags/1']);
    // As a key: the map it is in; an overlong encoding and a lone surrogate are refused too.
    expect(scanned(Buffer.concat([Buffer.of(0x81), bad, Buffer.of(0xc0)]))).to.deep.equal([
      'BERTH_E_NOT_UTF8',
      '',
    ]);
    expect(scanned(withRaw('text', Buffer.of(0xa2, 0xc0, 0xaf)))).to.deep.equal([
      'BERTH_E_NOT_UTF8',
      '/text',
    ]);
    expect(scanned(withRaw('text', Buffer.of(0xa3, 0xed, 0xa0, 0x80)))).to.deep.equal([
      'BERTH_E_NOT_UTF8',
      '/text',
    ]);
    // Long strings (msgpackr decodes them another way) are held to the same rule.
    const long = Buffer.concat([
      Buffer.of(0xda, 0x10, 0x00),
      Buffer.alloc(0x1000 - 1, 0x61),
      Buffer.of(0xfe),
    ]);
    expect(scanned(withRaw('text', long, {}))).to.deep.equal(['BERTH_E_NOT_UTF8', '/text']);
    const ok = fresh();
    await decodeTreeMsgpack(DEF.inputs, packForPython({ text: 'héllo ☃ 😀' }), ok);
    expect(await readFile(path.join(ok, 'text'), 'utf8')).to.equal('héllo ☃ 😀');
  });

  it('refuses every extension type but the timestamp, naming where it is', () => {
    const exts: [string, Buffer][] = [
      ['undefined (0)', Buffer.of(0xd4, 0x00, 0x00)],
      ['Error (0x65)', Buffer.concat([Buffer.of(0xd4, 0x65, 0x00), packForPython(['Error', 'x'])])],
      ['RegExp (0x78)', Buffer.of(0xd4, 0x78, 0x00)],
      ['Set (0x73)', Buffer.of(0xd4, 0x73, 0x00)],
      ['records (0x72)', Buffer.of(0xd5, 0x72, 0x00, 0x00)],
      ['reserved c1', Buffer.of(0xc1)],
    ];
    for (const [name, raw] of exts)
      expect(scanned(withRaw('when', raw)), name).to.deep.equal(['BERTH_E_WIRE_FORMAT', '/when']);
  });

  it('refuses timestamps Python datetime cannot hold (msgpackr would decode them to wrong dates), accepts the rest', async () => {
    const refused: [string, Buffer][] = [
      ['seconds 2^40 (year 36812)', timestamp96(0, 2n ** 40n)],
      ['seconds -2^62', timestamp96(0, -(2n ** 62n))],
      ['year 0', timestamp96(0, -62135596801n)],
      ['10^9 nanoseconds (96)', timestamp96(1_000_000_000, 0n)],
      // timestamp 64 with nanoseconds 2^30 - 1 > 999999999
      ['nanoseconds 2^30-1 (64)', Buffer.of(0xd7, 0xff, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0)],
      ['a 5-byte timestamp', Buffer.of(0xc7, 5, 0xff, 0, 0, 0, 0, 0)],
    ];
    for (const [name, raw] of refused) {
      const dir = fresh();
      expect(
        await problemsOf(() => decodeTreeMsgpack(DEF.inputs, withRaw('when', raw), dir)),
        name,
      ).to.deep.equal([['BERTH_E_WIRE_FORMAT', '/when']]);
    }
    const accepted: [Buffer, string][] = [
      [timestamp96(0, -1n), '1969-12-31T23:59:59Z'],
      [timestamp96(0, -62135596800n), '0001-01-01T00:00:00Z'],
      [timestamp96(999_000_000, 253402300799n), '9999-12-31T23:59:59.999Z'],
      [Buffer.of(0xd6, 0xff, 0x65, 0x93, 0x7d, 0x25), '2024-01-02T03:04:05Z'],
    ];
    for (const [raw, text] of accepted) {
      const dir = fresh();
      await decodeTreeMsgpack(DEF.inputs, withRaw('when', raw), dir);
      expect(await readFile(path.join(dir, 'when'), 'utf8')).to.equal(text);
    }
  });

  it('refuses nesting beyond the limit and lengths past the end, quickly and with a pointer', () => {
    const deep = Buffer.concat([Buffer.alloc(3 * 500_000, 0), Buffer.of(0xc0)]);
    for (let i = 0; i < 500_000; i++) deep.set([0x81, 0xa1, 0x61], 3 * i);
    const t0 = performance.now();
    const problem = scanned(deep, 66);
    expect(performance.now() - t0).to.be.below(1000);
    expect(problem?.[0]).to.equal('BERTH_E_TOO_DEEP');
    expect(problem?.[1]).to.equal('/a'.repeat(66));
    expect(codeOf(() => parseMsgpackDocument(deep))).to.equal('BERTH_E_TOO_DEEP');
    expect(scanned(withRaw('text', Buffer.of(0xdb, 0xff, 0xff, 0xff, 0xff, 0x61)))).to.deep.equal([
      'BERTH_E_WIRE_FORMAT',
      '/text',
    ]);
    expect(scanned(withRaw('tags', Buffer.of(0xdd, 0xff, 0xff, 0xff, 0xff)))).to.deep.equal([
      'BERTH_E_WIRE_FORMAT',
      '/tags',
    ]);
    expect(scanned(Buffer.of(0x80))).to.equal(undefined);
    expect(scanned(Buffer.of())).to.deep.equal(['BERTH_E_WIRE_FORMAT', '']);
  });

  it("bounds any library's error text passed on (one function)", () => {
    const text = boundedText(new Error('z'.repeat(1_000_000)));
    expect(text.length).to.be.below(MAX_CAUSE_TEXT + 40);
    expect(text).to.match(/more characters\)$/);
    expect(boundedText('short')).to.equal('short');
  });
});
