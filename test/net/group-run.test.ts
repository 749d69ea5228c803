import { expect } from 'chai';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveMachine } from '../../src/harness/machine.js';
import { runGroup, type GroupRunner } from '../../src/net/group-run.js';
import { groupInput } from '../../src/net/machine-input.js';
import { Spool, instanceUids } from '../../src/net/spool.js';
import { requirePeer } from '../support/peers.js';
import { BWRAP_PEER } from '../support/bwrap.js';
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
  it('gives a sandboxed machine the spool’s own instances as hard links, which it cannot change; a process-driver machine gets copies', async function () {
    await requirePeer(this, BWRAP_PEER);
    const a = await feedSeries(spool, dir, { seed: 4, instances: 2 });
    const group = spool.group(a.group.key);
    const uids = await instanceUids(group.instances);
    const before = await Promise.all(uids.map((u) => readFile(path.join(group.instances, `${u}.dcm`))));
    const writer = path.join(dir, 'writer');
    await mkdir(writer);
    await writeFile(
      path.join(writer, 'machine.yaml'),
      [
        'metadata-version: 2',
        'info: {name: input-writer}',
        'schema-in:\n  study: {dicom-type: dicom-study, modalities: [CT]}',
        'schema-out:\n  note.txt: {mime-type: text/plain}',
        'berth:\n  command: ["/usr/bin/python3", "w.py"]',
      ].join('\n') + '\n',
    );
    await writeFile(
      path.join(writer, 'w.py'),
      `import errno, glob, json, os
inp, out = os.environ['BERTH_INPUT'], os.environ['BERTH_OUTPUT']
files = sorted(glob.glob(os.path.join(inp, 'study', '**', '*.dcm'), recursive=True))
def attempt(f):
    try:
        f()
        return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
r = {'n': len(files),
     'append': attempt(lambda: open(files[0], 'ab').write(b'x')),
     'truncate': attempt(lambda: os.truncate(files[1], 0)),
     'chmod': attempt(lambda: os.chmod(files[0], 0o666))}
open(os.path.join(out, 'note.txt'), 'w').write(json.dumps(r))
`,
    );
    const machine = await resolveMachine(writer);
    const inputInodes = async (run: string): Promise<number[]> => {
      const files = await dicomFiles(path.join(group.runs, run, 'work', 'input'));
      return Promise.all(files.map(async (f) => (await stat(f)).ino));
    };
    const spoolInodes = await Promise.all(
      uids.map(async (u) => (await stat(path.join(group.instances, `${u}.dcm`))).ino),
    );
    const base = { machine, input: groupInput(machine.definition), inputs: {} };
    const sandboxed = await runGroup({ ...base, settings: { driver: 'sandbox' } }, group, 'r1', uids);
    expect(sandboxed.outcome, sandboxed.reason).to.equal('passed');
    const seen = JSON.parse(
      await readFile(path.join(group.runs, 'r1', 'work', 'output', 'note.txt'), 'utf8'),
    );
    expect(seen.n).to.equal(2);
    for (const how of ['append', 'truncate', 'chmod'])
      expect(seen[how], how).to.be.oneOf(['EROFS', 'EACCES', 'EPERM']);
    expect((await inputInodes('r1')).sort()).to.deep.equal([...spoolInodes].sort());
    const after = await Promise.all(uids.map((u) => readFile(path.join(group.instances, `${u}.dcm`))));
    expect(after.every((b, i) => b.equals(before[i]!))).to.equal(true);
    // The process driver leaves the input writable: its input is copies, never the spool's files.
    const open = await runGroup({ ...base, settings: {} }, group, 'r2', uids);
    expect(open.outcome, open.reason).to.equal('passed');
    const wrote = JSON.parse(
      await readFile(path.join(group.runs, 'r2', 'work', 'output', 'note.txt'), 'utf8'),
    );
    expect(wrote.append).to.equal('ok');
    expect((await inputInodes('r2')).some((ino) => spoolInodes.includes(ino))).to.equal(false);
    const untouched = await Promise.all(uids.map((u) => readFile(path.join(group.instances, `${u}.dcm`))));
    expect(untouched.every((b, i) => b.equals(before[i]!))).to.equal(true);
  });
});
