/**
 * Case values → trees: each kind's `fromCase` turns its case value into what its writer takes,
 * and the harness dispatches on the kind's storage, not on kind names.
 */
import { expect } from 'chai';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkManifest } from '../../src/check/manifest.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { materialiseValues } from '../../src/harness/materialise.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { readNpy } from '../../src/ndarray/npy.js';
import { codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

const DEF = checkManifest(
  loadManifestText(
    [
      'metadata-version: 2',
      'info: {name: x}',
      'schema-in:',
      '  share: {type: percentage}',
      '  mask: {type: ndarray, dtype: uint8, shape: [2, 2]}',
      '  doc: {mime-type: text/plain}',
      '  rows: {type: array, items: {type: object, properties: {n: {type: integer}}}}',
      '  ct: {dicom-type: dicom-series}',
      'schema-out: {o: {type: boolean}}',
      '',
    ].join('\n'),
    'inline.yaml',
  ),
).definition;

describe('harness/materialise: case values through each kind', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('materialise');
  });
  after(() => removeDir(dir));

  it('writes percentages given as text or fraction, ndarrays as {dtype, shape, data}, and walks containers', async () => {
    const out = join(dir, 'ok');
    await materialiseValues(
      DEF.inputs,
      {
        share: '12.3%',
        mask: { dtype: 'uint8', shape: [2, 2], data: [0, 1, 1, 0] },
        rows: [{ n: 4 }, { n: 5 }],
      },
      out,
      { baseDir: dir },
    );
    expect(await readFile(join(out, 'share'), 'utf8')).to.equal('12.3%');
    const mask = await readNpy(join(out, 'mask'));
    expect([mask.dtype, mask.shape]).to.deep.equal(['uint8', [2, 2]]);
    expect((await readdir(join(out, 'rows'))).sort()).to.deep.equal(['0', '1']);
    expect(await readFile(join(out, 'rows', '1', 'n'), 'utf8')).to.equal('5');
    const again = join(dir, 'fraction');
    await materialiseValues(DEF.inputs, { share: 0.5 }, again, { baseDir: dir });
    expect(await readFile(join(again, 'share'), 'utf8')).to.equal('50%');
  });

  it('refuses a case value of the wrong form for its kind with BERTH_E_CASE_VALUE', async () => {
    const attempt = (values: Record<string, never>) =>
      codeOfAsync(materialiseValues(DEF.inputs, values, join(dir, 'bad'), { baseDir: dir }));
    expect(await attempt({ share: '12.3' } as never)).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ mask: [1, 2] } as never)).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ doc: 'inline text' } as never)).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ rows: { n: 1 } } as never)).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ rows: [[1]] } as never)).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ ct: 'folder' } as never)).to.equal('BERTH_E_CASE_VALUE');
  });

  it('places DICOM values through the DICOM kinds with no option, one study for the values of one options object', async () => {
    const options = { baseDir: dir };
    const [a, b, c] = [join(dir, 'dicom-a'), join(dir, 'dicom-b'), join(dir, 'dicom-c')];
    await materialiseValues(
      DEF.inputs,
      { ct: { synth: { instances: 2, rows: 16, columns: 16 } } },
      a,
      options,
    );
    await materialiseValues(
      DEF.inputs,
      { ct: { synth: { instances: 2, rows: 16, columns: 16 } } },
      b,
      options,
    );
    await materialiseValues(DEF.inputs, { ct: { synth: { instances: 2, rows: 16, columns: 16 } } }, c, {
      baseDir: dir,
    });
    const studyOf = async (root: string): Promise<string> => {
      const [file] = await readdir(join(root, 'ct'));
      return (await scanHeader(join(root, 'ct', file!))).StudyInstanceUID;
    };
    expect(await readdir(join(a, 'ct'))).to.have.length(2);
    expect(await studyOf(b)).to.equal(await studyOf(a));
    expect(await readdir(join(c, 'ct'))).to.have.length(2);
  });
});
