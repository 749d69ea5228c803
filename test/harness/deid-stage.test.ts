/**
 * `--deidentify` in the harness: the machine sees only pseudonymous DICOM, its outputs are scanned
 * for the originals' identifying values, and valid DICOM outputs come back re-identified.
 */
import { expect } from 'chai';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MachineDefinition } from '../../src/check/manifest.js';
import { shiftDate } from '../../src/dicom/deid/pseudonyms.js';
import { isSequence, parseFile, type DataSetNode } from '../../src/dicom/deid/tree.js';
import { writeSeries, type SeriesSpec } from '../../src/dicom/synth.js';
import { loadCase } from '../../src/harness/case.js';
import type { DeidRunSettings } from '../../src/harness/deid-stage.js';
import { processDriver } from '../../src/harness/drivers/process.js';
import { resolveMachine } from '../../src/harness/machine.js';
import { runCase, type RunResult } from '../../src/harness/run.js';
import { renderHtmlReport } from '../../src/harness/report/html.js';
import { reportToJson } from '../../src/harness/report/json.js';
import { renderTerminalSummary } from '../../src/harness/report/terminal.js';
import { ROOT } from '../support/paths.js';
import { SYSTEM_PYTHON } from '../support/python.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const SECRET = Buffer.from('a site secret of the test, 32 b.');

/** A pydicom machine: writes what it saw, and a derived series whose SourceImageSequence points at its inputs. */
const DERIVE = `
import os, pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid
IN, OUT = os.environ['BERTH_INPUT'], os.environ['BERTH_OUTPUT']
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(os.path.join(IN, 'ct')) for f in fs)
series = generate_uid()
os.makedirs(os.path.join(OUT, 'derived'))
seen = []
for i, f in enumerate(files):
    ds = pydicom.dcmread(f)
    seen.append('|'.join([str(ds.PatientName), ds.PatientID, ds.StudyInstanceUID, ds.StudyDate, ds.SOPInstanceUID]))
    ref = Dataset()
    ref.ReferencedSOPClassUID = ds.SOPClassUID
    ref.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    ds.SourceImageSequence = Sequence([ref])
    ds.SeriesInstanceUID = series
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesDescription = 'derived'
    ds.save_as(os.path.join(OUT, 'derived', '%d.dcm' % i), write_like_original=False)
open(os.path.join(OUT, 'seen'), 'w').write('\\n'.join(seen))
`;

/** A machine that copies the input's StudyDescription into a string output. */
const ECHO = `
import os, pydicom
IN, OUT = os.environ['BERTH_INPUT'], os.environ['BERTH_OUTPUT']
d = os.path.join(IN, 'ct')
ds = pydicom.dcmread(os.path.join(d, sorted(os.listdir(d))[0]))
open(os.path.join(OUT, 'seen'), 'w').write('study: ' + str(ds.StudyDescription))
`;

/** The text of a top-level or nested element, by tag path. */
function valueAt(nodes: DataSetNode, ...tags: number[]): string | undefined {
  const [tag, ...rest] = tags;
  const n = nodes.find((e) => e.tag === tag);
  if (!n) return undefined;
  if (isSequence(n)) return rest.length > 0 ? valueAt(n.items[0] ?? [], ...rest) : undefined;
  return n.bytes.toString('latin1').replace(/[\0 ]+$/, '');
}

describe('harness/deid-stage: berth run --deidentify', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-deidrun-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A machine folder, a case with one CT series, and a run of `script` with --deidentify. */
  async function run(
    name: string,
    script: string,
    spec: SeriesSpec,
    manifestExtra: string[],
    settings: Partial<DeidRunSettings> = {},
  ): Promise<{ result: RunResult; originals: DataSetNode[]; work: string; definition: MachineDefinition }> {
    const m = path.join(dir, name);
    const written = await writeSeries(path.join(m, 'series'), spec);
    const originals = written.files.map((f) => parseFile(readFileSync(f.path), f.path).dataSet);
    writeFileSync(path.join(m, 'machine.py'), script);
    writeFileSync(
      path.join(m, 'machine.yaml'),
      [
        'metadata-version: 2',
        `info: {name: ${name}}`,
        'schema-in:',
        '  ct: {dicom-type: dicom-series}',
        'schema-out:',
        '  seen: {type: string}',
        ...manifestExtra,
        'timeout: 1',
      ].join('\n'),
    );
    writeFileSync(path.join(m, 'case.yaml'), 'inputs:\n  ct: {dicom: series}\n');
    const machine = await resolveMachine(m);
    const work = path.join(dir, `${name}-run`);
    const result = await runCase({
      definition: machine.definition,
      machineDir: m,
      case: await loadCase(path.join(m, 'case.yaml')),
      driver: processDriver,
      command: [SYSTEM_PYTHON, path.join(m, 'machine.py')],
      workDir: work,
      deidentify: { secret: SECRET, secretSource: 'file', retainModifiedDates: true, ...settings },
    });
    return { result, originals, work, definition: machine.definition };
  }

  it('gives the machine pseudonyms and shifted dates, and re-identifies its derived series to the original UIDs and patient', async () => {
    const { result, originals, work, definition } = await run(
      'roundtrip',
      DERIVE,
      { seed: 11, instances: 2, rows: 16, columns: 16, patientName: 'Canary^Jane', patientId: 'MRN-77-ORIG' },
      ['  derived: {dicom-type: dicom-series}'],
    );
    const r = result.report;
    expect(r.outcome, `${r.reason} ${JSON.stringify(r.outputFindings)} ${r.stderr?.tail ?? ''}`).to.equal(
      'passed',
    );
    const originalSops = new Set(originals.map((o) => valueAt(o, 0x00080018)));
    const study = valueAt(originals[0]!, 0x0020000d)!;
    // What the machine saw: nothing of the originals.
    const seen = readFileSync(path.join(work, 'output', 'seen'), 'utf8').split('\n');
    expect(seen).to.have.length(2);
    for (const line of seen) {
      const [name, id, studyUid, date, sop] = line.split('|');
      expect(name).to.not.include('Canary');
      expect(id).to.not.equal('MRN-77-ORIG');
      expect(studyUid)
        .to.match(/^2\.25\.\d+$/)
        .and.not.equal(study);
      const studyDate = valueAt(originals[0]!, 0x00080020)!;
      expect(date).to.not.equal(studyDate);
      expect(date, 'the study date, shifted by the reported days').to.equal(
        shiftDate(studyDate, r.deidentification!.studies[0]!.dateShiftDays),
      );
      expect(originalSops.has(sop)).to.equal(false);
    }
    // What came back: references to the original instances, the original patient and study.
    const derived = readdirSync(path.join(work, 'output', 'derived'));
    expect(derived).to.have.length(2);
    const referenced = new Set<string | undefined>();
    for (const f of derived) {
      const ds = parseFile(readFileSync(path.join(work, 'output', 'derived', f)), f).dataSet;
      referenced.add(valueAt(ds, 0x00082112, 0x00081155));
      expect(valueAt(ds, 0x0020000d)).to.equal(study);
      expect(valueAt(ds, 0x00100010)).to.equal('Canary^Jane');
      expect(valueAt(ds, 0x00100020)).to.equal('MRN-77-ORIG');
      expect(valueAt(ds, 0x00120062), 'PatientIdentityRemoved').to.equal(undefined);
    }
    expect(referenced).to.deep.equal(originalSops);
    const deid = r.deidentification!;
    expect(deid.instances).to.equal(2);
    expect(deid.leaks).to.equal(0);
    expect(deid.outputs!.map((o) => o.uidsRestored).every((n) => n >= 3)).to.equal(true);
    expect(deid.uidMaps.deidentify[study]).to.equal(deid.studies[0]!.pseudonymousStudyUid);
    expect(deid.counts.shifted).to.be.greaterThan(0);
    expect(deid.attributes.some((a) => a.attribute === 'PatientName' && a.action === 'emptied')).to.equal(
      true,
    );
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'report.schema.json'), 'utf8')) as object,
    );
    expect(validate(JSON.parse(reportToJson(r))), JSON.stringify(validate.errors)).to.equal(true);
    // The terminal line and the HTML section.
    expect(renderTerminalSummary(r, { color: false, width: Infinity })).to.match(
      /\n {2}deid {4}2 instance\(s\) de-identified \(.*\d+ shifted.*\) · \d+ UID\(s\) remapped · date shift -?\d+ day\(s\) · 0 leak\(s\) · 2 output\(s\) re-identified\n/,
    );
    const page = await renderHtmlReport(r, {
      input: path.join(work, 'input'),
      output: path.join(work, 'output'),
      definition,
      assetsDir: path.join(work, 'assets'),
    });
    expect(page).to.include('id="deidentification"').and.include('UIDs re-identified');
    expect(page).to.include(study).and.include(deid.studies[0]!.pseudonymousStudyUid);
  });

  it('ends invalid-output with BERTH_E_PHI_LEAK when the machine writes a value the keep list let through', async () => {
    const { result } = await run(
      'leak',
      ECHO,
      { seed: 12, instances: 1, rows: 16, columns: 16, studyDescription: 'Knee of Zebulon Quaxley' },
      ['dicom-tags: [StudyDescription]'],
    );
    const r = result.report;
    expect(r.outcome, r.reason).to.equal('invalid-output');
    expect(r.exitCode).to.equal(11);
    const leaks = r.outputFindings.filter((f) => f.code === 'BERTH_E_PHI_LEAK');
    expect(leaks.map((f) => [f.path, f.property])).to.deep.equal([['output/seen', 'StudyDescription']]);
    expect(leaks[0]!.message).to.include('let through on purpose').and.not.include('Zebulon');
    expect(r.deidentification!.options.keep).to.deep.equal(['StudyDescription']);
    expect(r.deidentification!.outputs, 'invalid outputs are not re-identified').to.equal(undefined);
  });

  it('refuses an instance that may have burned-in identity before launch (BERTH_E_PHI_BURNED_IN)', async () => {
    const { result } = await run('burned', ECHO, { seed: 13, modality: 'OT', instances: 1 }, []);
    expect(result.report.outcome).to.equal('invalid-input');
    expect(result.report.process).to.equal(null);
    expect(result.report.inputFindings.map((f) => f.code)).to.include('BERTH_E_PHI_BURNED_IN');
  });
});
