import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newGroupState, readGroupState, setHash, writeGroupState } from '../../src/net/group-state.js';
import { Spool, instanceUids } from '../../src/net/spool.js';
import { codeOf, codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('net/group-state', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir('listen-state')));
  afterEach(() => removeDir(dir));

  it('hashes a set of SOP Instance UIDs whatever their order', () => {
    expect(setHash(['1.2', '1.3'])).to.equal(setHash(['1.3', '1.2']));
    expect(setHash(['1.2', '1.3'])).not.to.equal(setHash(['1.2']));
  });

  it('writes a state and reads it back; a group without one has none', async () => {
    const file = path.join(dir, 'g', 'state.json');
    expect(await readGroupState(file)).to.equal(undefined);
    const s = newGroupState('1.2.3', new Date(0));
    await writeGroupState(file, s);
    expect(await readGroupState(file)).to.deep.equal(s);
  });

  it('refuses a state.json berth did not write, with the path', async () => {
    const file = path.join(dir, 'state.json');
    await writeFile(file, '{"schema":"other"}');
    expect(await codeOfAsync(readGroupState(file))).to.equal('BERTH_E_LISTEN_SPOOL');
    await writeFile(file, 'not json');
    expect(await codeOfAsync(readGroupState(file))).to.equal('BERTH_E_LISTEN_SPOOL');
  });

  it('names groups by UID only, so a key can never be a path', async () => {
    const spool = new Spool(dir);
    expect(codeOf(() => spool.group('../etc'))).to.equal('BERTH_E_LISTEN_SPOOL');
    await mkdir(path.join(dir, 'groups', '1.2.3', 'instances'), { recursive: true });
    await mkdir(path.join(dir, 'groups', 'lost+found'), { recursive: true });
    expect(await spool.groupKeys()).to.deep.equal(['1.2.3']);
    await writeFile(path.join(dir, 'groups', '1.2.3', 'instances', '1.2.3.4.dcm'), '');
    await writeFile(path.join(dir, 'groups', '1.2.3', 'instances', '.berth-tmp-x'), '');
    expect(await instanceUids(spool.group('1.2.3').instances)).to.deep.equal(['1.2.3.4']);
  });
});
