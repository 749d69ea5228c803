import { expect } from 'chai';
import { checkManifest } from '../../src/check/manifest.js';
import type { Finding } from '../../src/errors.js';
import { loadManifestText } from '../../src/manifest/load.js';

/** The findings of a manifest given as YAML, with the usual required keys around `rest`. */
function findingsOf(rest: string, schemaOut = '  result: {type: string}\n'): Finding[] {
  const text =
    'metadata-version: 2\ninfo: {name: t}\nschema-in:\n  value: {type: string}\nschema-out:\n' +
    schemaOut +
    rest;
  return checkManifest(loadManifestText(text, 'machine.yaml')).findings;
}

const element = '{title: R, id: r, content: {pointer: {source: output, property: result}}}';

describe('manifest references: display, report, selector', () => {
  it('accepts display groups as the reference writes them, and as bare lists', () => {
    expect(
      findingsOf(
        `display:\n  source-display-group: {display-elements: []}\n  results-display-group:\n    presentation: tile\n    display-elements: [${element}]\n`,
      ),
    ).to.deep.equal([]);
    expect(findingsOf(`display:\n  results-display-group: [${element}]\n`)).to.deep.equal([]);
  });

  it('names the expected shape when a display group is neither form', () => {
    const [f, ...more] = findingsOf('display:\n  results-display-group: overlay\n');
    expect(more).to.deep.equal([]);
    expect(f).to.include({
      code: 'BERTH_E_MANIFEST_SCHEMA',
      property: 'display/results-display-group',
      line: 8,
    });
    expect(f!.message).to.include('neither a mapping with display-elements nor a list of display elements');
    expect(f!.expected).to.include('{display-elements: [{title: TEXT, id: ID, content:');
    expect(f!.expected).to.include('a bare list of display elements is also accepted');
  });

  it('names the element shape when a display element lacks its id', () => {
    const fs = findingsOf(
      'display:\n  results-display-group:\n    display-elements:\n      - {title: R, content: {pointer: {source: output, property: result}}}\n',
    );
    expect(fs.map((f) => [f.code, f.property, f.expected])).to.deep.equal([
      [
        'BERTH_E_MANIFEST_SCHEMA',
        'display/results-display-group/display-elements/0',
        '{title: TEXT, id: ID, content: {pointer: {source: input|output, property: NAME}}}',
      ],
    ]);
  });

  it('checks selector options against the display-elements ids', () => {
    const fs = findingsOf(
      `display:\n  results-display-group:\n    display-elements: [${element}]\n` +
        'selector:\n  selector-type: choose-one-display-element\n  selector-config: {choose-options: [r, s]}\n',
    );
    expect(fs.map((f) => [f.code, f.property, f.expected])).to.deep.equal([
      [
        'BERTH_E_SELECTOR_OPTION',
        'selector/selector-config/choose-options/1',
        'one of the display-elements ids: r',
      ],
    ]);
  });

  it('warns, naming the side to write, when a pointer names a property of the other side', () => {
    const fs = findingsOf(
      'display:\n  results-display-group:\n    display-elements:\n      - {title: R, id: r, content: {pointer: {source: input, property: result}}}\n',
    );
    expect(fs.map((f) => [f.severity, f.code, f.expected])).to.deep.equal([
      ['warning', 'BERTH_E_POINTER_SIDE', 'source: output'],
    ]);
  });

  it('checks each report sub-property against the members of the pointed array items', () => {
    const out =
      '  nodules:\n    type: array\n    items: {type: object, properties: {volume: {type: number}, kind: {type: string}}}\n';
    const ok = findingsOf(
      'report:\n  findings:\n    - {code: a, value: {pointer: {source: output, property: nodules, sub-properties: {volume: {code: b}, kind: {code: c}}}}}\n',
      out,
    );
    expect(ok).to.deep.equal([]);
    const bad = findingsOf(
      'report:\n  findings:\n    - {code: a, value: {pointer: {source: output, property: nodules, sub-properties: {size: {code: b}}}}}\n',
      out,
    );
    expect(bad.map((f) => [f.code, f.property, f.expected])).to.deep.equal([
      ['BERTH_E_SUB_PROPERTY', 'report/findings/0/value/pointer/sub-properties/size', 'one of: volume, kind'],
    ]);
  });

  it('refuses sub-properties on a pointer to anything but an array of objects', () => {
    const fs = findingsOf(
      'report:\n  findings:\n    - {code: a, value: {pointer: {source: output, property: result, sub-properties: {x: {code: b}}}}}\n',
    );
    expect(fs.map((f) => [f.code, f.property])).to.deep.equal([
      ['BERTH_E_SUB_PROPERTY', 'report/findings/0/value/pointer/sub-properties'],
    ]);
  });
});

describe('manifest dicom-tags run together', () => {
  it('warns of an entry that is dictionary keywords joined by a bare line continuation', () => {
    const fs = findingsOf('dicom-tags: [PatientSexPatientAge, PatientAge]\n');
    expect(fs.map((f) => [f.severity, f.code, f.property])).to.deep.equal([
      ['warning', 'BERTH_E_DICOM_TAG', 'dicom-tags/0'],
    ]);
    expect(fs[0]!.message).to.include('PatientSex and PatientAge run together');
  });

  it('leaves unknown keywords and very long entries alone, quickly', () => {
    const long = 'PatientAge'.repeat(20000);
    expect(findingsOf(`dicom-tags: [SomeVendorKeyword, ${long}]\n`)).to.deep.equal([]);
  });
});
