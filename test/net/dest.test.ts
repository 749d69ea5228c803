import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDestination, readBearerToken, withTokenFiles, type Destination } from '../../src/net/dest.js';
import { codeOf, codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('net/dest', () => {
  it('reads AET@host:port as a C-STORE destination', () => {
    expect(parseDestination('ORTHANC@127.0.0.1:4242')).to.deep.include({
      protocol: 'dimse',
      aet: 'ORTHANC',
      host: '127.0.0.1',
      port: 4242,
    });
    expect(parseDestination('PACS@[::1]:104')).to.deep.include({ host: '::1', port: 104 });
  });

  it('reads an http(s) URL as a DICOMweb service root for STOW-RS', () => {
    const d = parseDestination('http://127.0.0.1:8042/dicom-web');
    expect(d.protocol).to.equal('stow');
    expect(d.protocol === 'stow' && d.url.pathname).to.equal('/dicom-web');
  });

  it('refuses a destination that is neither, an AE title over 16 characters, a bad port, or credentials in a URL', () => {
    for (const bad of [
      '127.0.0.1:104',
      'PACS@host',
      'A234567890ABCDEFG@h:104',
      'PACS@h:70000',
      'P\\X@h:1',
      'http://u:p@h/dicom-web',
      '@h:104',
    ]) {
      expect(
        codeOf(() => parseDestination(bad)),
        bad,
      ).to.equal('BERTH_E_LISTEN_DEST');
    }
  });
});

describe('net/dest: bearer tokens for STOW-RS (--dest-token-file)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir('dest-token')));
  afterEach(() => removeDir(dir));
  const dests = (...texts: string[]) => texts.map(parseDestination);
  const tokenOf = (d: Destination) => (d.protocol === 'stow' ? d.tokenFile : undefined);

  it('gives FILE to every http(s) destination and DEST=FILE to that destination only', () => {
    const list = dests(
      'PACS@127.0.0.1:104',
      'https://pacs.example/dicom-web',
      'http://127.0.0.1:8042/dicom-web',
    );
    expect(withTokenFiles(list, ['/run/t']).map(tokenOf)).to.deep.equal([undefined, '/run/t', '/run/t']);
    expect(withTokenFiles(list, ['https://pacs.example/dicom-web=/run/a=b']).map(tokenOf)).to.deep.equal([
      undefined,
      '/run/a=b',
      undefined,
    ]);
  });

  it('refuses a token for a C-STORE destination, for plain http to another host, twice for one destination, or with no http(s) destination', () => {
    const cases: [string[], string[]][] = [
      [['PACS@127.0.0.1:104'], ['/t']],
      [['PACS@127.0.0.1:104'], ['PACS@127.0.0.1:104=/t']],
      [['http://pacs.example/dicom-web'], ['/t']],
      [['https://pacs.example/dicom-web'], ['/t', 'https://pacs.example/dicom-web=/u']],
      [['https://pacs.example/dicom-web'], ['https://pacs.example/dicom-web=']],
    ];
    for (const [d, specs] of cases) {
      expect(
        codeOf(() => withTokenFiles(dests(...d), specs)),
        `${d.join()} ${specs.join()}`,
      ).to.equal('BERTH_E_LISTEN_DEST_TOKEN');
    }
  });

  it('reads one token from its file, dropping the final newline, and refuses an empty, spaced or missing file', async () => {
    const file = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    expect(await readBearerToken(file('ok', 'abc.DEF-123_~+/==\n'))).to.equal('abc.DEF-123_~+/==');
    for (const bad of [
      file('empty', '\n'),
      file('two', 'a b\n'),
      file('ctl', 'a\u0007b'),
      path.join(dir, 'missing'),
      dir,
    ]) {
      expect(await codeOfAsync(readBearerToken(bad)), bad).to.equal('BERTH_E_LISTEN_DEST_TOKEN');
    }
  });
});
