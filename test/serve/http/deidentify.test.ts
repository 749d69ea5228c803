/**
 * `berth serve --deidentify`: a gateway run de-identifies the DICOM of the request before the
 * machine sees it, as `berth run --deidentify` does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeSeries } from '../../../src/dicom/synth.js';
import { resolveMachine } from '../../../src/harness/machine.js';
import { materialiseValues } from '../../../src/harness/materialise.js';
import { startGateway, type Gateway } from '../../../src/serve/http/gateway.js';
import { encodeTree, parseJsonDocument } from '../../../src/wire/case.js';
import { SYSTEM_PYTHON } from '../../support/python.js';
import { request } from '../../support/gateway.js';

describe('serve/http: --deidentify', function () {
  this.timeout(60_000);
  let tmp: string;
  let gw: Gateway | undefined;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-gw-deid-'));
  });
  after(async () => {
    await gw?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('gives the machine behind the gateway a pseudonymous PatientID, never the original', async () => {
    const m = path.join(tmp, 'machine');
    await writeSeries(path.join(m, 'series'), {
      seed: 31,
      instances: 1,
      rows: 16,
      columns: 16,
      patientId: 'MRN-GW-9',
    });
    writeFileSync(
      path.join(m, 'machine.py'),
      [
        'import os, pydicom',
        "d = os.path.join(os.environ['BERTH_INPUT'], 'ct')",
        'ds = pydicom.dcmread(os.path.join(d, sorted(os.listdir(d))[0]))',
        "open(os.path.join(os.environ['BERTH_OUTPUT'], 'seen'), 'w').write(ds.PatientID)",
      ].join('\n'),
    );
    writeFileSync(
      path.join(m, 'machine.yaml'),
      [
        'metadata-version: 2',
        'info: {name: gw-deid}',
        'schema-in:',
        '  ct: {dicom-type: dicom-series}',
        'schema-out:',
        '  seen: {type: string}',
        'timeout: 1',
        'berth:',
        `  command: [${SYSTEM_PYTHON}, machine.py]`,
      ].join('\n'),
    );
    const machine = await resolveMachine(m);
    const inputDir = path.join(tmp, 'input');
    await materialiseValues(machine.definition.inputs, { ct: { dicom: 'series' } }, inputDir, {
      baseDir: m,
    });
    gw = await startGateway({
      machine,
      port: 0,
      concurrency: 1,
      workRoot: path.join(tmp, 'work'),
      deidentify: {
        secret: Buffer.from('the gateway secret of this test!'),
        secretSource: 'file',
        retainModifiedDates: true,
      },
    });
    const body = await encodeTree('json', machine.definition.inputs, inputDir);
    const a = await request(`${gw.url}/invocations`, {
      body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    const text = a.bytes.toString('utf8');
    expect(a.status, text.slice(0, 500)).to.equal(200);
    const result = parseJsonDocument(a.bytes) as { outcome: string; outputs: { seen: string } };
    expect(result.outcome).to.equal('passed');
    expect(result.outputs.seen).to.match(/^P[0-9A-F]{15}$/);
    expect(text).to.not.include('MRN-GW-9');
  });
});
