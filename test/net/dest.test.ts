import { expect } from 'chai';
import { parseDestination } from '../../src/net/dest.js';
import { codeOf } from '../support/codes.js';

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
