import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveMachine } from '../../src/harness/machine.js';
import { runGroup, type GroupRunner } from '../../src/net/group-run.js';
import { groupInput } from '../../src/net/machine-input.js';
import { Spool, instanceUids } from '../../src/net/spool.js';
import { requirePeer } from '../support/peers.js';
import { PYDICOM_PEER } from '../support/dicom-peers.js';
import { deriveRuns, feedSeries, makeDeriveMachine } from '../support/listen.js';
import { runPython } from '../support/python.js';
import { removeDir, tempDir } from '../support/temp.js';

/** Every .dcm file under `dir`. */
async function dicomFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('net/group-run', function () {
  this.timeout(60_000);
  let dir: string;
  let machineDir: string;
  let spool: Spool;
  let runner: GroupRunner;
  before(async function () {
    await requirePeer(this, PYDICOM_PEER);
  });
  beforeEach(async () => {
    dir = await tempDir('listen-run');
    machineDir = path.join(dir, 'machine');
    makeDeriveMachine(machineDir);
    spool = new Spool(path.join(dir, 'spool'));
    const machine = await resolveMachine(machineDir);
    runner = { machine, input: groupInput(machine.definition), inputs: {}, settings: {} };
  });
  afterEach(() => removeDir(dir));

  it('lays a group out as the study input, runs the machine, and tells the DICOM outputs from the others in the report', async () => {
    const a = await feedSeries(spool, dir, { seed: 1, instances: 3 });
    await feedSeries(spool, dir, {
      seed: 1,
      instances: 2,
      seriesIndex: 1,
      transferSyntaxUid: '1.2.840.10008.1.2',
    });
    const group = spool.group(a.group.key);
    const uids = await instanceUids(group.instances);
    const result = await runGroup(runner, group, 'r1', uids);
    expect(result.outcome, result.reason).to.equal('passed');
    expect(result.dicomOutputs).to.have.length(2);
    expect(result.dicomOutputs.every((f) => f.startsWith(path.join('work', 'output', 'derived')))).to.equal(
      true,
    );
    expect(result.otherOutputs).to.deep.equal([path.join('work', 'output', 'note.txt')]);
    expect(deriveRuns(machineDir)).to.deep.equal([5]);
    const report = JSON.parse(await readFile(path.join(group.runs, 'r1', 'report.json'), 'utf8'));
    expect(report.notices.join('\n')).to.contain('kept in the spool: work/output/note.txt');
    expect(await readFile(path.join(group.runs, 'r1', 'report.html'), 'utf8')).to.contain('<html');
  });

  it('with deferHtml, has report.json written when it returns and leaves report.html to its after', async () => {
    const a = await feedSeries(spool, dir, { seed: 3, instances: 2 });
    const group = spool.group(a.group.key);
    const result = await runGroup(runner, group, 'r1', await instanceUids(group.instances), {
      deferHtml: true,
    });
    expect(result.outcome, result.reason).to.equal('passed');
    const run = path.join(group.runs, 'r1');
    expect(await readdir(run))
      .to.include('report.json')
      .and.not.include('report.html');
    await result.after!();
    const html = await readFile(path.join(run, 'report.html'), 'utf8');
    expect(html).to.contain('<html');
    // The same page as written at once: the outputs listed, both report files named.
    expect(html).to.contain('kept in the spool: work/output/note.txt');
    expect(html).to.contain(path.join(run, 'report.json'));
  });

  it('ends a group that breaks the constraints as not-applicable without running the machine or sending anything', async () => {
    const mr = await feedSeries(spool, dir, { seed: 2, instances: 2, modality: 'MR' });
    const group = spool.group(mr.group.key);
    const result = await runGroup(runner, group, 'r1', await instanceUids(group.instances));
    expect(result.outcome).to.equal('not-applicable');
    expect(result.dicomOutputs).to.deep.equal([]);
    expect(deriveRuns(machineDir)).to.deep.equal([]);
  });

  it('de-identifies the group first with --deidentify: the machine sees pseudonyms, its outputs come back re-identified', async () => {
    const a = await feedSeries(spool, dir, {
      seed: 3,
      instances: 2,
      patientName: 'Doe^Jane',
      patientId: 'PID-42',
    });
    const group = spool.group(a.group.key);
    const deid: GroupRunner = {
      ...runner,
      settings: {
        deidentify: { secret: Buffer.alloc(32, 7), secretSource: 'generated', retainModifiedDates: true },
      },
    };
    const result = await runGroup(deid, group, 'r1', await instanceUids(group.instances));
    expect(result.outcome, result.reason).to.equal('passed');
    const seen = await runPython(
      `import sys, json, pydicom
print(json.dumps([[str(d.PatientName), str(d.PatientID), str(d.StudyInstanceUID)] for d in map(pydicom.dcmread, sys.argv[1:])]))`,
      { args: await dicomFiles(path.join(group.runs, 'r1', 'work', 'input')) },
    );
    expect(JSON.parse(seen.stdout.toString())).to.have.length(2);
    for (const [name, id] of JSON.parse(seen.stdout.toString()) as string[][]) {
      expect(name).not.to.equal('Doe^Jane');
      expect(id).not.to.equal('PID-42');
    }
    const out = await runPython(
      `import sys, json, pydicom
print(json.dumps([[str(d.PatientName), str(d.PatientID), str(d.StudyInstanceUID)] for d in map(pydicom.dcmread, sys.argv[1:])]))`,
      { args: result.dicomOutputs.map((f) => path.join(group.runs, 'r1', f)) },
    );
    for (const row of JSON.parse(out.stdout.toString()) as string[][]) {
      expect(row).to.deep.equal(['Doe^Jane', 'PID-42', a.series.studyInstanceUid]);
    }
  });
});
