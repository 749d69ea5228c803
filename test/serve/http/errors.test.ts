import { rmSync } from 'node:fs';
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../../src/serve/http/gateway.js';
import { packForPython } from '../../../src/wire/ndarray-msgpack.js';
import { postJson, request, tinyMachine, type Answer } from '../../support/gateway.js';

/** The JSON error body every refusal must have, whatever the request's format. */
function expectError(a: Answer, status: number, code: string): Record<string, unknown> {
  expect(a.status, a.bytes.toString('utf8').slice(0, 500)).to.equal(status);
  expect(a.headers.get('content-type')).to.match(/^application\/json/);
  expect(a.json, 'a JSON body').to.be.an('object');
  const error = a.json!['error'] as Record<string, unknown>;
  expect(error['code']).to.equal(code);
  expect(String(error['message']).length).to.be.greaterThan(0);
  return a.json!;
}

describe('serve/http: statuses and JSON error bodies', function () {
  this.timeout(60_000);
  let dir: string;
  let gw: Gateway;
  let url: string;
  const auth = { authorization: 'Bearer s3cret' };

  before(async () => {
    dir = tinyMachine();
    gw = await startGateway({ machine: dir, port: 0, concurrency: 2, token: 's3cret', maxBodyBytes: 4096 });
    url = gw.url;
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a valid JSON request with the outputs (200)', async () => {
    const a = await postJson(`${url}/invocations`, { value: 'hello' }, auth);
    expect(a.status, a.bytes.toString()).to.equal(200);
    expect(a.json!['outputs']).to.deep.equal({ length: 5, echo: 'hello' });
    expect(a.json!['outcome']).to.equal('passed');
    expect(a.json!['exitCode']).to.equal(0);
    expect(a.json!['runId']).to.equal(a.headers.get('x-berth-run-id'));
    expect(a.json!['usage']).to.have.property('wallMs');
  });

  it('tolerates media type parameters and case', async () => {
    for (const ct of ['application/json; charset=utf-8', 'APPLICATION/JSON', ' application/json ;foo=bar']) {
      const a = await request(`${url}/predict`, {
        body: '{"value":"x"}',
        headers: { 'content-type': ct, ...auth },
      });
      expect(a.status, ct).to.equal(200);
    }
  });

  it('401 without a token, with a wrong one, or with another scheme; WWW-Authenticate set', async () => {
    const tries: Record<string, string>[] = [
      {},
      { authorization: 'Bearer s3cre' },
      { authorization: 'Basic czNjcmV0' },
    ];
    for (const headers of tries) {
      const a = await postJson(`${url}/invocations`, { value: 'x' }, headers);
      expectError(a, 401, 'BERTH_E_HTTP_UNAUTHORIZED');
      expect(a.headers.get('www-authenticate')).to.match(/^Bearer/);
    }
    expectError(await request(`${url}/openapi.json`), 401, 'BERTH_E_HTTP_UNAUTHORIZED');
    expectError(await request(`${url}/runs/abc/events`), 401, 'BERTH_E_HTTP_UNAUTHORIZED');
  });

  it('the OpenAPI document declares the bearer scheme when a token is set', async () => {
    const a = await request(`${url}/openapi.json`, { headers: auth });
    expect(a.status).to.equal(200);
    const components = a.json!['components'] as Record<string, unknown>;
    expect(components['securitySchemes']).to.deep.equal({ bearer: { type: 'http', scheme: 'bearer' } });
    const paths = a.json!['paths'] as Record<string, Record<string, Record<string, unknown>>>;
    expect(paths['/invocations']!['post']!['security']).to.deep.equal([{ bearer: [] }]);
    expect(paths['/ping']!['get']!['security']).to.deep.equal([]);
  });

  it('/ping needs no token', async () => {
    const a = await request(`${url}/ping`);
    expect(a.status).to.equal(200);
    expect(a.json).to.deep.equal({ ok: true });
  });

  it('415 for other or missing media types', async () => {
    for (const ct of ['text/plain', 'application/msgpack', 'application/jsonx', undefined]) {
      const a = await request(`${url}/invocations`, {
        body: '{"value":"x"}',
        headers: { ...(ct === undefined ? {} : { 'content-type': ct }), ...auth },
      });
      expectError(a, 415, 'BERTH_E_HTTP_MEDIA_TYPE');
    }
  });

  it('413 for a body over --max-body', async () => {
    const a = await postJson(`${url}/invocations`, { value: 'x'.repeat(5000) }, auth);
    expectError(a, 413, 'BERTH_E_HTTP_TOO_LARGE');
  });

  it('400 for malformed JSON and malformed msgpack, both answered in JSON', async () => {
    const j = await request(`${url}/invocations`, {
      body: '{"value": ',
      headers: { 'content-type': 'application/json', ...auth },
    });
    expectError(j, 400, 'BERTH_E_JSON_SYNTAX');
    expect(j.json!['outcome']).to.equal('invalid-input');
    const m = await request(`${url}/invocations`, {
      body: Uint8Array.of(0x81, 0xa5, 0x76),
      headers: { 'content-type': 'application/octet-stream', ...auth },
    });
    expectError(m, 400, 'BERTH_E_WIRE_FORMAT');
  });

  it('400 for undeclared, missing and invalid values, with JSON pointers', async () => {
    const undeclared = expectError(
      await postJson(`${url}/invocations`, { value: 'x', colour: 'red' }, auth),
      400,
      'BERTH_E_UNDECLARED_PROPERTY',
    );
    expect((undeclared['error'] as Record<string, unknown>)['path']).to.equal('/colour');
    const missing = expectError(await postJson(`${url}/invocations`, {}, auth), 400, 'BERTH_E_WIRE_MISSING');
    expect((missing['error'] as Record<string, unknown>)['path']).to.equal('/value');
    const invalid = expectError(
      await postJson(`${url}/invocations`, { value: 'x', 'delay-ms': -1 }, auth),
      400,
      'BERTH_E_VALUE_CONSTRAINT',
    );
    expect((invalid['error'] as Record<string, unknown>)['path']).to.equal('/delay-ms');
    expect(invalid['findings']).to.be.an('array').with.length.greaterThan(0);
  });

  it('a msgpack request with a bad value gets a JSON error, never msgpack', async () => {
    const a = await request(`${url}/invocations`, {
      body: packForPython({ value: 12 }),
      headers: { 'content-type': 'application/octet-stream', ...auth },
    });
    expectError(a, 400, 'BERTH_E_VALUE_TYPE');
  });

  it('500 for a machine error and for invalid outputs, with the run details', async () => {
    const failed = expectError(
      await postJson(`${url}/invocations`, { value: 'x', fail: true }, auth),
      500,
      'BERTH_E_HTTP_MACHINE_ERROR',
    );
    expect(failed['outcome']).to.equal('machine-error');
    expect(failed['exitCode']).to.equal(12);
    const invalid = expectError(
      await postJson(`${url}/invocations`, { value: 'x', 'bad-output': true }, auth),
      500,
      'BERTH_E_HTTP_INVALID_OUTPUT',
    );
    expect(invalid['outcome']).to.equal('invalid-output');
    const findings = invalid['findings'] as { path?: string }[];
    expect(findings.some((f) => f.path === 'output/length')).to.equal(true);
    // No server path leaks into what the client is told.
    expect(JSON.stringify(invalid)).to.not.include(gw.workRoot);
  });

  it('400 for a malformed run id, 409 for one already posted', async () => {
    expectError(
      await postJson(`${url}/invocations`, { value: 'x' }, { ...auth, 'x-berth-run-id': 'no spaces/here' }),
      400,
      'BERTH_E_HTTP_RUN_ID',
    );
    const first = await postJson(
      `${url}/invocations`,
      { value: 'x' },
      { ...auth, 'x-berth-run-id': 'job-1' },
    );
    expect(first.status).to.equal(200);
    expect(first.json!['runId']).to.equal('job-1');
    expectError(
      await postJson(`${url}/invocations`, { value: 'x' }, { ...auth, 'x-berth-run-id': 'job-1' }),
      409,
      'BERTH_E_HTTP_RUN_ID_IN_USE',
    );
  });

  it('404 in the same format for unknown endpoints', async () => {
    expectError(await request(`${url}/nope`), 404, 'BERTH_E_HTTP_NOT_FOUND');
    expectError(await request(`${url}/invocations`, { headers: auth }), 404, 'BERTH_E_HTTP_NOT_FOUND');
  });

  it('504 when the machine runs past the timeout', async () => {
    const slow = await startGateway({ machine: dir, port: 0, concurrency: 1, timeoutMs: 300 });
    try {
      const a = await postJson(`${slow.url}/invocations`, { value: 'x', 'delay-ms': 5000 });
      const body = expectError(a, 504, 'BERTH_E_HTTP_TIMEOUT');
      expect(body['outcome']).to.equal('timeout');
    } finally {
      await slow.close();
    }
  });
});
