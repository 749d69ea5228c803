import { expect } from 'chai';
import { Admission } from '../../../src/serve/http/admission.js';
import { BearerAuth } from '../../../src/serve/http/auth.js';
import { propertySchema } from '../../../src/serve/http/json-schema.js';
import { wireFormatOf } from '../../../src/serve/http/media-type.js';
import { resultBody } from '../../../src/serve/http/response.js';
import { RunLog, type LoggedEvent } from '../../../src/serve/http/run-log.js';
import type { Property } from '../../../src/kinds/property.js';
import { packForPython, pythonUnpackr } from '../../../src/wire/ndarray-msgpack.js';

describe('serve/http: parts', () => {
  it('media types: only the bare type counts, without case or parameters (Truss PR #2583)', () => {
    expect(wireFormatOf('application/json')).to.equal('json');
    expect(wireFormatOf('application/json; charset=utf-8')).to.equal('json');
    expect(wireFormatOf('Application/Octet-Stream; charset=binary')).to.equal('msgpack');
    expect(wireFormatOf(' application/octet-stream ')).to.equal('msgpack');
    for (const other of [undefined, '', 'text/json', 'application/msgpack', 'application/json-seq'])
      expect(wireFormatOf(other), String(other)).to.equal(undefined);
  });

  it('bearer auth: exact token only, scheme in any case', () => {
    const auth = new BearerAuth('tok en'.replace(' ', ''));
    expect(auth.accepts('Bearer token')).to.equal(true);
    expect(auth.accepts('bearer token')).to.equal(true);
    expect(auth.accepts('Bearer token2')).to.equal(false);
    expect(auth.accepts('Bearer tok')).to.equal(false);
    expect(auth.accepts('token')).to.equal(false);
    expect(auth.accepts(undefined)).to.equal(false);
    expect(new BearerAuth('x').accepts('Bearer ')).to.equal(false);
  });

  it('admission: at most concurrency + queue tickets; slots pass in arrival order; aborts leave the queue', async () => {
    const a = new Admission(1, 2);
    const [t1, t2, t3] = [a.admit()!, a.admit()!, a.admit()!];
    expect(a.admit()).to.equal(undefined);
    expect(await t1.acquire()).to.equal(true);
    const order: string[] = [];
    const controller = new AbortController();
    const p2 = t2.acquire(controller.signal).then((ok) => order.push(`t2:${ok}`));
    const p3 = t3.acquire().then((ok) => order.push(`t3:${ok}`));
    controller.abort();
    await p2;
    t1.release();
    await p3;
    expect(order).to.deep.equal(['t2:false', 't3:true']);
    t2.release();
    t3.release();
    t3.release();
    expect(a.size).to.equal(0);
    expect(a.active).to.equal(0);
  });

  it('run log: replay, live events, terminal end, one posting per id, bounded finished runs', () => {
    const log = new RunLog({ retentionMs: 60_000, maxFinished: 2 });
    const seen: LoggedEvent[] = [];
    let ended = 0;
    log.subscribe('a', { send: (e) => seen.push(e), end: () => ended++ });
    expect(log.stateOf('a')).to.equal('pending');
    expect(log.begin('a')).to.equal(true);
    log.publish('a', 'stage', { stage: 'queued' });
    log.publish('a', 'status', { progress: 10 });
    log.publish('a', 'status', { progress: 20 });
    log.publish('a', 'outcome', { outcome: 'passed' });
    expect(seen.map((e) => e.event)).to.deep.equal(['stage', 'status', 'status', 'outcome']);
    expect(ended).to.equal(1);
    expect(log.begin('a')).to.equal(false);
    const replay: LoggedEvent[] = [];
    log.subscribe('a', { send: (e) => replay.push(e), end: () => undefined });
    expect(replay.map((e) => e.data)).to.deep.equal([
      { stage: 'queued' },
      { progress: 20 },
      { outcome: 'passed' },
    ]);
    for (const id of ['b', 'c']) {
      log.begin(id);
      log.publish(id, 'outcome', {});
    }
    expect(log.stateOf('a')).to.equal(undefined);
    expect(log.stateOf('c')).to.equal('finished');
    log.close();
  });

  it('msgpack results: the outputs bytes are spliced into one valid map', () => {
    const outputs = packForPython({ n: 1, big: 2 ** 40 });
    const body = resultBody(
      { format: 'msgpack', bytes: outputs },
      { outcome: 'passed', usage: null, runId: 'r' },
    );
    const decoded = pythonUnpackr.unpack(body) as Map<string, unknown>;
    expect([...decoded.keys()]).to.deep.equal(['outputs', 'outcome', 'usage', 'runId']);
    expect(decoded.get('outputs')).to.deep.equal(
      new Map<string, unknown>([
        ['n', 1],
        ['big', 2 ** 40],
      ]),
    );
    const json = resultBody({ format: 'json', bytes: Buffer.from('{"n":1}') }, { outcome: 'passed' });
    expect(JSON.parse(json.toString('utf8'))).to.deep.equal({ outputs: { n: 1 }, outcome: 'passed' });
  });

  it('JSON Schema per kind: percentages as fractions, nullable not required', () => {
    const prop = (over: Partial<Property>): Property =>
      ({
        name: 'p',
        path: 'schema-in/p',
        side: 'in',
        nullable: false,
        keywords: {},
        raw: {},
        ...over,
      }) as Property;
    expect(
      propertySchema(prop({ kind: 'percentage', keywords: { minimum: 0, maximum: 85.5 } })),
    ).to.deep.equal({
      type: 'number',
      minimum: 0,
      maximum: 0.855,
    });
    expect(propertySchema(prop({ kind: 'date-time' }))).to.deep.equal({
      type: 'string',
      format: 'date-time',
    });
    const object = propertySchema(
      prop({
        kind: 'object',
        properties: [
          prop({ name: 'a', kind: 'integer' }),
          prop({ name: 'b', kind: 'boolean', nullable: true }),
        ],
      }),
    );
    expect(object['required']).to.deep.equal(['a']);
    expect(object['additionalProperties']).to.equal(false);
  });
});
