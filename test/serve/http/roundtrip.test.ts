import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { expect } from 'chai';
import { checkTree } from '../../../src/check/tree.js';
import { loadCase } from '../../../src/harness/case.js';
import { resolveMachine, type MachineRef } from '../../../src/harness/machine.js';
import { materialiseValues } from '../../../src/harness/materialise.js';
import { startGateway, type Gateway } from '../../../src/serve/http/gateway.js';
import { decodeTreeValue, encodeTree, parseJsonDocument } from '../../../src/wire/case.js';
import { pythonUnpackr } from '../../../src/wire/ndarray-msgpack.js';
import { DCMTK_PEER, run } from '../../support/dicom-peers.js';
import { ROOT } from '../../support/paths.js';
import { requirePeer } from '../../support/peers.js';
import { request } from '../../support/gateway.js';

/**
 * The real sample machine behind the gateway: a case of it, materialised and encoded with the
 * wire encoders, goes in as JSON and as msgpack; the outputs that come back decode into a tree
 * that passes the output checks of schema-out.
 */
describe('serve/http: round trips of the sample machine', function () {
  this.timeout(120_000);
  let tmp: string;
  let machine: MachineRef;
  let gw: Gateway;
  let inputDir: string;

  /** Materialises a sample case's inputs into a tree (as `berth run` would). */
  async function materialise(caseName: string): Promise<string> {
    const spec = await loadCase(path.join(ROOT, 'sample-machine', 'cases', caseName));
    const dir = path.join(tmp, `${caseName}-input`);
    await materialiseValues(machine.definition.inputs, spec.inputs!, dir, {
      baseDir: spec.baseDir,
    });
    return dir;
  }

  /** Decodes an outputs document into a tree and checks it against schema-out. */
  async function expectValidOutputs(format: 'json' | 'msgpack', outputs: unknown, name: string) {
    const dir = path.join(tmp, `${name}-output`);
    await decodeTreeValue(format, machine.definition.outputs, outputs, dir);
    const findings = await checkTree(machine.definition, 'out', dir, {
      inputs: { root: inputDir, properties: machine.definition.inputs },
    });
    expect(findings.filter((f) => f.severity === 'error')).to.deep.equal([]);
  }

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-gw-rt-'));
    machine = await resolveMachine(path.join(ROOT, 'sample-machine'));
    gw = await startGateway({ machine, port: 0, concurrency: 2, workRoot: path.join(tmp, 'work') });
    inputDir = await materialise('normal');
  });
  after(async () => {
    await gw.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('JSON in, JSON out: outputs valid against schema-out', async () => {
    const body = await encodeTree('json', machine.definition.inputs, inputDir);
    const a = await request(`${gw.url}/invocations`, {
      body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(a.status, a.bytes.toString('utf8').slice(0, 500)).to.equal(200);
    expect(a.headers.get('content-type')).to.match(/^application\/json/);
    const result = parseJsonDocument(a.bytes) as Record<string, unknown>;
    expect(result['outcome']).to.equal('passed');
    const outputs = result['outputs'] as Record<string, unknown>;
    expect(outputs['nodule-found']).to.equal(true);
    expect(outputs['mask.npy']).to.have.keys('data_b64', 'shape', 'dtype');
    await expectValidOutputs('json', outputs, 'json');
  });

  it('msgpack in (Chains binary mode, charset and case variants), msgpack out', async () => {
    const body = await encodeTree('msgpack', machine.definition.inputs, inputDir);
    const a = await request(`${gw.url}/predict`, {
      body,
      headers: { 'content-type': 'Application/Octet-Stream; charset=binary' },
    });
    expect(a.status, a.bytes.toString('utf8').slice(0, 500)).to.equal(200);
    expect(a.headers.get('content-type')).to.equal('application/octet-stream');
    const result = pythonUnpackr.unpack(a.bytes) as Map<unknown, unknown>;
    expect(result.get('outcome')).to.equal('passed');
    expect(result.get('runId')).to.equal(a.headers.get('x-berth-run-id'));
    expect(result.get('findings')).to.deep.equal([]);
    const outputs = result.get('outputs') as Map<string, unknown>;
    // The mask is a msgpack-numpy map (bin keys), the preview PNG bin.
    expect(outputs.get('preview.png')).to.be.instanceOf(Uint8Array);
    await expectValidOutputs('msgpack', outputs, 'msgpack');
  });

  it('an MR series for a CT-only machine is not applicable: 422', async () => {
    const mr = await materialise('wrong-modality');
    const body = await encodeTree('json', machine.definition.inputs, mr);
    const a = await request(`${gw.url}/invocations`, {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(a.status, a.bytes.toString('utf8').slice(0, 500)).to.equal(422);
    const error = a.json!['error'] as Record<string, unknown>;
    expect(error['code']).to.equal('BERTH_E_DICOM_MODALITY');
    expect(error['path']).to.match(/^\/ct/);
    expect(a.json!['outcome']).to.equal('not-applicable');
  });

  it('a JPEG-LS series for a machine declaring explicit VR little endian is converted, as the platform does: 200 passed', async function () {
    await requirePeer(this, DCMTK_PEER);
    // The normal case's tree with its ct series compressed by dcmtk.
    const jls = path.join(tmp, 'jls-input');
    cpSync(inputDir, jls, { recursive: true });
    for (const name of readdirSync(path.join(jls, 'ct'))) {
      const file = path.join(jls, 'ct', name);
      const r = await run('dcmcjpls', [path.join(inputDir, 'ct', name), file]);
      expect(r.code, r.stderr).to.equal(0);
    }
    const body = await encodeTree('json', machine.definition.inputs, jls);
    const a = await request(`${gw.url}/invocations`, {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(a.status, a.bytes.toString('utf8').slice(0, 500)).to.equal(200);
    expect(a.json!['outcome']).to.equal('passed');
  });

  it('GET /openapi.json is OpenAPI 3.1 whose schemas compile (ajv 2020) and describe the traffic', async () => {
    const a = await request(`${gw.url}/openapi.json`);
    expect(a.status).to.equal(200);
    const doc = a.json!;
    expect(doc['openapi']).to.equal('3.1.0');
    const paths = doc['paths'] as Record<string, Record<string, unknown>>;
    expect(paths['/invocations']).to.have.property('post');
    expect(paths['/predict']).to.have.property('post');
    expect(paths['/ping']).to.have.property('get');
    expect(paths['/openapi.json']).to.have.property('get');
    expect(paths['/runs/{id}/events']).to.have.property('get');
    const components = doc['components'] as Record<string, Record<string, unknown>>;
    expect(components).to.not.have.property('securitySchemes');

    // Every component schema compiles in strict mode (no unknown keywords, formats known), with
    // the document's own refs resolving (moved under $defs, where a schema may hold them).
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    for (const [name, format] of Object.entries(fullFormats)) ajv.addFormat(name, format);
    const defs = JSON.parse(
      JSON.stringify(components['schemas']).replaceAll(
        '#/components/schemas/',
        'https://berth.test/openapi.json#/$defs/',
      ),
    ) as Record<string, unknown>;
    ajv.addSchema({ $id: 'https://berth.test/openapi.json', $defs: defs });
    const schema = (name: string) => ajv.compile({ $ref: `https://berth.test/openapi.json#/$defs/${name}` });
    for (const name of Object.keys(defs)) expect(schema(name), name).to.be.a('function');
    // ...and say yes to a real request and a real result.
    const inputs = schema('Inputs');
    const body = JSON.parse((await encodeTree('json', machine.definition.inputs, inputDir)).toString('utf8'));
    expect(inputs(body), JSON.stringify(inputs.errors)).to.equal(true);
    expect(inputs({ ...body, extra: 1 })).to.equal(false);
    const result = schema('InvocationResult');
    const answer = await request(`${gw.url}/invocations`, {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(result(answer.json), JSON.stringify(result.errors)).to.equal(true);
    const error = schema('Error');
    const refused = await request(`${gw.url}/invocations`, {
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(error(refused.json), JSON.stringify(error.errors)).to.equal(true);
  });
});
