import { expect } from 'chai';
import type { DicomEntrySpec } from '../../src/dicom/constraints.js';
import { EntryFindings } from '../../src/dicom/entry-findings.js';
import { checkCounts } from '../../src/dicom/folder-counts.js';
import type { DicomHeader } from '../../src/dicom/scan.js';

/** Headers of `n` instances of series `uid` in folder `dir` (only what the counts read). */
function instances(dir: string, uid: string, n: number): DicomHeader[] {
  return Array.from(
    { length: n },
    (_, i) => ({ path: `${dir}/${i}.dcm`, SeriesInstanceUID: uid }) as DicomHeader,
  );
}

function counted(spec: DicomEntrySpec, series: DicomHeader[][], broken: [string, number][] = []): string[] {
  const out = new EntryFindings(spec.property);
  const bySeries = new Map(series.map((list) => [list[0]!.SeriesInstanceUID, list]));
  checkCounts(spec, '/s', series.flat(), bySeries, new Map(broken), out);
  return out.list.map((f) => `${f.code}: ${f.message}`);
}

describe('dicom/folder-counts: instance counts of a series or study folder', () => {
  const study = (constraints: DicomEntrySpec['constraints']): DicomEntrySpec => ({
    level: 'study',
    constraints,
    property: 'study',
  });

  it('matches study-related-series as a multiset: the series in any order', () => {
    const series = [instances('/s/a', '1.1', 2), instances('/s/b', '1.2', 1)];
    expect(counted(study({ studyRelatedSeries: [1, 2] }), series)).to.deep.equal([]);
    expect(counted(study({ studyRelatedSeries: [2, 1] }), series)).to.deep.equal([]);
  });

  it('says which series match no listed count and which counts no series holds', () => {
    const series = [instances('/s/a', '1.1', 3), instances('/s/b', '1.2', 1)];
    expect(counted(study({ studyRelatedSeries: [1, 2] }), series)).to.deep.equal([
      'BERTH_E_DICOM_STUDY_SERIES: The study has 2 series holding [1, 3] instances: series 1.1 with 3 instances matches no listed count; no series holds 2 instance(s)',
    ]);
  });

  it('counts a broken file for the series most of its folder holds, and in the totals', () => {
    const series = [instances('/s/a', '1.1', 1), instances('/s/b', '1.2', 1)];
    const spec = study({ studyRelatedSeries: [1, 2], studyRelatedInstances: 3 });
    expect(counted(spec, series, [['/s/a', 1]])).to.deep.equal([]);
    expect(counted(study({ studyRelatedInstances: 2 }), series, [['/s/a', 1]])).to.deep.equal([
      'BERTH_E_DICOM_STUDY_INSTANCES: The study holds 3 instances (1 of them unreadable)',
    ]);
  });

  it('checks series-related-instances on a series only', () => {
    const series = [instances('/s', '1.1', 2)];
    const spec: DicomEntrySpec = {
      level: 'series',
      constraints: { seriesRelatedInstances: 3 },
      property: 'ct',
    };
    expect(counted(spec, series)).to.deep.equal([
      'BERTH_E_DICOM_SERIES_INSTANCES: The series holds 2 instances',
    ]);
    expect(counted({ ...spec, level: 'study' }, series)).to.deep.equal([]);
  });
});
