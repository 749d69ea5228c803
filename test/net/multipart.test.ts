import { expect } from 'chai';
import { MultipartSplitter, parseMediaType, type MultipartEvent } from '../../src/net/multipart.js';
import { codeOf } from '../support/codes.js';

const B = 'berth-boundary-1';

/** A multipart body of these parts (headers, bytes). */
function body(parts: readonly [Record<string, string>, Buffer][], preamble = '', epilogue = ''): Buffer {
  const chunks: Buffer[] = [Buffer.from(preamble)];
  for (const [headers, bytes] of parts) {
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    chunks.push(Buffer.from(`--${B}\r\n${head}\r\n`), bytes, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${B}--${epilogue}`));
  return Buffer.concat(chunks);
}

/** Splits `bytes` fed in chunks of `size`; returns each part's headers and bytes. */
function split(bytes: Buffer, size = bytes.length, boundary = B) {
  const s = new MultipartSplitter(boundary);
  const events: MultipartEvent[] = [];
  for (let i = 0; i < bytes.length; i += size) events.push(...s.push(bytes.subarray(i, i + size)));
  s.end();
  const parts: { headers: Record<string, string>; bytes: Buffer }[] = [];
  for (const e of events) {
    if (e.type === 'part') parts.push({ headers: Object.fromEntries(e.headers), bytes: Buffer.alloc(0) });
    else if (e.type === 'data') {
      const last = parts[parts.length - 1]!;
      last.bytes = Buffer.concat([last.bytes, e.bytes]);
    }
  }
  return parts;
}

describe('net/multipart', () => {
  // Delimiter look-alikes: the boundary without CRLF before it, and CRLF before a prefix of it.
  const a = Buffer.from('--berth-boundary-1 is not a delimiter without CRLF, nor \r\n--berth-boundary-\r\n');
  const b = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
  const twoParts = body([
    [{ 'Content-Type': 'application/dicom' }, a],
    [{ 'content-type': 'application/dicom', 'Content-Location': 'x' }, b],
  ]);

  it('splits a body into its parts, headers and exact bytes, however the input is chunked', () => {
    for (const size of [1, 2, 3, 7, 16, 19, 64, twoParts.length]) {
      const parts = split(twoParts, size);
      expect(
        parts.map((p) => p.headers),
        `chunks of ${size}`,
      ).to.deep.equal([
        { 'content-type': 'application/dicom' },
        { 'content-type': 'application/dicom', 'content-location': 'x' },
      ]);
      expect(parts[0]!.bytes.equals(a) && parts[1]!.bytes.equals(b), `chunks of ${size}`).to.equal(true);
    }
  });

  it('ignores a preamble, an epilogue and transport padding after a boundary', () => {
    const padded = Buffer.from(
      body([[{ 'Content-Type': 'application/dicom' }, b]], 'preamble text\r\n', '\r\nepilogue')
        .toString('latin1')
        .replace(`--${B}\r\n`, `--${B} \t\r\n`),
      'latin1',
    );
    const parts = split(padded, 5);
    expect(parts).to.have.length(1);
    expect(parts[0]!.bytes.equals(b)).to.equal(true);
  });

  it('accepts a part without headers and an empty part', () => {
    const parts = split(
      body([
        [{}, Buffer.alloc(0)],
        [{}, b],
      ]),
    );
    expect(parts.map((p) => p.bytes.length)).to.deep.equal([0, b.length]);
  });

  it('refuses a body cut before its closing delimiter, or without any part', () => {
    expect(codeOf(() => split(twoParts.subarray(0, twoParts.length - 4)))).to.equal(
      'BERTH_E_LISTEN_STOW_MULTIPART',
    );
    expect(codeOf(() => split(Buffer.from('no parts at all')))).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
  });

  it('refuses malformed part headers, a boundary line without CRLF and oversized headers', () => {
    const bad = (text: string) => codeOf(() => split(Buffer.from(text)));
    expect(bad(`--${B}\r\nno colon here\r\n\r\nx\r\n--${B}--`)).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
    expect(bad(`--${B}\r\n: empty name\r\n\r\nx\r\n--${B}--`)).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
    expect(bad(`--${B}\r\nA: 1\r\n folded\r\n\r\nx\r\n--${B}--`)).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
    expect(bad(`--${B}xx\r\n\r\nx\r\n--${B}--`)).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
    expect(bad(`--${B}\r\nA: ${'x'.repeat(20_000)}\r\n\r\nx\r\n--${B}--`)).to.equal(
      'BERTH_E_LISTEN_STOW_MULTIPART',
    );
  });

  it('refuses a boundary that RFC 2046 does not allow', () => {
    expect(codeOf(() => new MultipartSplitter(''))).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
    expect(codeOf(() => new MultipartSplitter('x'.repeat(71)))).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
    expect(codeOf(() => new MultipartSplitter('bad\r\nboundary'))).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
  });

  it('parses a Content-Type with quoted and bare parameters, and refuses a malformed one', () => {
    const m = parseMediaType('Multipart/Related; type="application/dicom"; boundary=abc123');
    expect(m?.type).to.equal('multipart/related');
    expect(Object.fromEntries(m!.params)).to.deep.equal({ type: 'application/dicom', boundary: 'abc123' });
    expect(parseMediaType('multipart/related; boundary="a \\"q\\" b"')?.params.get('boundary')).to.equal(
      'a "q" b',
    );
    expect(parseMediaType('multipart/related; boundary')).to.equal(undefined);
    expect(parseMediaType('not a type')).to.equal(undefined);
    expect(parseMediaType(undefined)).to.equal(undefined);
  });
});
