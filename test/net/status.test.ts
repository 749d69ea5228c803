import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newGroupState, writeGroupState } from '../../src/net/group-state.js';
import { Spool } from '../../src/net/spool.js';
import { spoolStatus, statusTable } from '../../src/net/status.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('net/status', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir('listen-status')));
  afterEach(() => removeDir(dir));

  it('lists every group of a spool with its state, instances, runs and deliveries, and says so when there is none', async () => {
    const spool = new Spool(dir);
    expect(statusTable(await spoolStatus(spool))).to.equal('No groups in the spool.\n');
    const sent = spool.group('1.2.3');
    await mkdir(sent.instances, { recursive: true });
    await writeFile(path.join(sent.instances, '1.2.3.1.dcm'), '');
    const state = newGroupState('1.2.3', new Date(0));
    state.status = 'sent';
    state.runs.push({
      id: 'r1',
      folder: 'runs/r1',
      setHash: 'x',
      instances: 1,
      attempts: 1,
      startedAt: new Date(0).toISOString(),
      finishedAt: new Date(0).toISOString(),
      outcome: 'passed',
      dicomOutputs: ['work/output/a.dcm'],
      otherOutputs: [],
      deliveries: [
        { dest: 'A@h:1', status: 'delivered', attempts: 1 },
        { dest: 'B@h:1', status: 'pending', attempts: 2 },
      ],
    });
    await writeGroupState(sent.state, state);
    // A group whose state was never written (berth killed between the merge and the state).
    await mkdir(spool.group('1.2.4').instances, { recursive: true });
    // A group whose state is not berth's.
    await mkdir(spool.group('1.2.5').dir, { recursive: true });
    await writeFile(spool.group('1.2.5').state, '{}');
    const rows = await spoolStatus(spool);
    expect(
      rows.map((r) => [r.key, r.status, r.instances, r.runs, r.delivered, r.destinations]),
    ).to.deep.equal([
      ['1.2.3', 'sent', 1, 1, 1, 2],
      ['1.2.4', 'received', 0, 0, 0, 0],
      ['1.2.5', 'unreadable', 0, 0, 0, 0],
    ]);
    expect(rows[0]!.runFolder).to.equal('groups/1.2.3/runs/r1');
    const table = statusTable(rows).split('\n');
    expect(table[0]).to.match(/^GROUP\s+STATUS\s+INSTANCES\s+RUNS\s+OUTCOME\s+DELIVERED\s+LAST RECEIVED$/);
    expect(table[1]).to.match(/^1\.2\.3\s+sent\s+1\s+1\s+passed\s+1\/2\s+1970-01-01T00:00:00\.000Z$/);
  });
});
