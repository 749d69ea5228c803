import { expect } from 'chai';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { DicomLevel } from '../../src/dicom/constraints.js';
import {
  collectInputUids,
  inputUidSource,
  outputUidProblems,
  PLATFORM_UID_RULE,
  type InputDicomUids,
} from '../../src/dicom/output-uids.js';
import { scanHeaderBytes } from '../../src/dicom/scan.js';
import { writeSeries } from '../../src/dicom/synth.js';
import { editedInstance } from '../support/dicom-fixtures.js';
import { removeDir, tempDir } from '../support/temp.js';

/** A layout node as the collection walks it: plain names and levels, no manifest. */
interface Node {
  name: string;
  level?: DicomLevel;
  properties?: Node[];
  items?: Node;
}
const levelOf = (n: Node): DicomLevel | undefined => n.level;

describe('dicom/output-uids: the platform rule for derived instances', () => {
  describe('outputUidProblems', () => {
    const h = scanHeaderBytes(editedInstance({ seed: 'uids', instances: 1 }, 0, {}).bytes, 'out.dcm');
    const none: InputDicomUids = { sop: new Set(), series: new Set(), study: new Set() };

    it('finds nothing when the inputs hold no DICOM', () => {
      expect(outputUidProblems(h, none)).to.deep.equal([]);
    });

    it('refuses an input SOP or series UID and an output outside the input study, teaching the rule', () => {
      const uids: InputDicomUids = {
        sop: new Set([h.SOPInstanceUID]),
        series: new Set([h.SeriesInstanceUID]),
        study: new Set(['1.2.3']),
      };
      const problems = outputUidProblems(h, uids);
      expect(problems.map((p) => p.code)).to.deep.equal([
        'BERTH_E_DICOM_REUSED_SOP_UID',
        'BERTH_E_DICOM_REUSED_SERIES_UID',
        'BERTH_E_DICOM_STUDY_NOT_KEPT',
      ]);
      for (const p of problems) expect(p.message).to.include(PLATFORM_UID_RULE);
      expect(problems[2]!.expected).to.equal('the StudyInstanceUID of an input: 1.2.3');
    });
  });

  describe('collectInputUids', () => {
    let tmp: string;
    before(async () => {
      tmp = await realpath(await tempDir('output-uids'));
    });
    after(() => removeDir(tmp));

    it('collects the UIDs of DICOM entries inside objects and arrays, by the levels it is given', async () => {
      const root = path.join(tmp, 'in');
      const a = await writeSeries(path.join(root, 'scans', '0', 'ct'), { seed: 'c0', instances: 2 });
      const b = await writeSeries(path.join(root, 'scans', '1', 'ct'), { seed: 'c1', instances: 1 });
      const nodes: Node[] = [
        { name: 'scans', items: { name: '', properties: [{ name: 'ct', level: 'series' }] } },
        { name: 'missing', level: 'study' },
      ];
      const uids = await collectInputUids(root, nodes, levelOf);
      expect([...uids.series].sort()).to.deep.equal([a.seriesInstanceUid, b.seriesInstanceUid].sort());
      expect(uids.sop.size).to.equal(3);
      expect(uids.study.size).to.equal(2);
    });

    it('gives no UIDs for a tree that does not exist', async () => {
      const uids = await collectInputUids(
        path.join(tmp, 'nowhere'),
        [{ name: 'ct', level: 'series' }],
        levelOf,
      );
      expect(uids.sop.size + uids.series.size + uids.study.size).to.equal(0);
    });

    it('collects once, on first use, through a source', async () => {
      const root = path.join(tmp, 'once');
      await writeSeries(path.join(root, 'ct'), { seed: 'once', instances: 1 });
      let asked = 0;
      const source = inputUidSource(root, [{ name: 'ct', level: 'series' }] as Node[], (n) => {
        asked++;
        return levelOf(n);
      });
      expect(asked).to.equal(0);
      const [first, second] = await Promise.all([source(), source()]);
      expect(first).to.equal(second);
      expect(asked).to.equal(1);
    });
  });
});
