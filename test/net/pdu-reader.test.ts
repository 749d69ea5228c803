import { expect } from 'chai';
import { PduReader } from '../../src/net/pdu-reader.js';
import { ABORT, pData, RELEASE_RQ } from '../../src/net/scu-pdu.js';

interface Seen {
  pdus: Buffer[];
  /** Per PDV: context, control and its value gathered from the slices. */
  pdvs: { contextId: number; control: number; value: Buffer }[];
  errors: string[];
}

/** Feeds `bytes` to a reader in chunks of `size` bytes and records what it hands on. */
function read(bytes: Buffer, size: number): Seen {
  const seen: Seen = { pdus: [], pdvs: [], errors: [] };
  let slices: Buffer[] = [];
  const reader = new PduReader({
    pdu: (p) => seen.pdus.push(Buffer.from(p)),
    pdv: (contextId, control, slice, end) => {
      slices.push(Buffer.from(slice));
      if (!end) return;
      seen.pdvs.push({ contextId, control, value: Buffer.concat(slices) });
      slices = [];
    },
    error: (e) => seen.errors.push(e.message),
  });
  for (let pos = 0; pos < bytes.length; pos += size) reader.push(bytes.subarray(pos, pos + size));
  return seen;
}

/** One P-DATA-TF holding several PDVs. */
function pDataOf(...pdvs: { id: number; control: number; value: Buffer }[]): Buffer {
  const items = pdvs.map(({ id, control, value }) => {
    const head = Buffer.alloc(6);
    head.writeUInt32BE(value.length + 2, 0);
    head[4] = id;
    head[5] = control;
    return Buffer.concat([head, value]);
  });
  const body = Buffer.concat(items);
  const head = Buffer.alloc(6);
  head[0] = 0x04;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

describe('net/pdu-reader', () => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  const stream = Buffer.concat([
    pData(1, true, true, Buffer.from('command')),
    pData(1, false, false, data),
    pDataOf({ id: 1, control: 0, value: data.subarray(0, 7) }, { id: 1, control: 2, value: Buffer.alloc(0) }),
    RELEASE_RQ,
  ]);

  for (const size of [1, 5, 6, 7, 100, 4096, stream.length]) {
    it(`hands on the same PDVs and PDUs whatever the chunks (${size} bytes)`, () => {
      const seen = read(stream, size);
      expect(seen.errors).to.deep.equal([]);
      expect(seen.pdvs.map((p) => [p.contextId, p.control, p.value.toString('hex')])).to.deep.equal([
        [1, 3, Buffer.from('command').toString('hex')],
        [1, 0, data.toString('hex')],
        [1, 0, data.subarray(0, 7).toString('hex')],
        [1, 2, ''],
      ]);
      expect(seen.pdus).to.deep.equal([RELEASE_RQ]);
    });
  }

  it('hands on the value as slices of the chunks it was given, without copying them', () => {
    const chunk = pData(3, false, true, data);
    const slices: Buffer[] = [];
    new PduReader({ pdu: () => undefined, pdv: (_c, _m, s) => slices.push(s), error: () => undefined }).push(
      chunk,
    );
    expect(slices).to.have.length(1);
    expect(slices[0]!.buffer).to.equal(chunk.buffer);
  });

  it('hands on a control PDU whole, its header included', () => {
    expect(read(Buffer.concat([ABORT, RELEASE_RQ]), 3).pdus).to.deep.equal([ABORT, RELEASE_RQ]);
  });

  it('stops at an unknown PDU type', () => {
    const seen = read(Buffer.concat([Buffer.from([0x09, 0, 0, 0, 0, 0]), RELEASE_RQ]), 64);
    expect(seen.errors).to.deep.equal(['Unknown PDU type 9']);
    expect(seen.pdus).to.deep.equal([]);
  });

  it('stops at a PDV item longer than its P-DATA-TF', () => {
    const bad = pData(1, false, true, data);
    bad.writeUInt32BE(data.length + 100, 6);
    expect(read(bad, 64).errors).to.have.length(1);
  });
});
