import { expect } from 'chai';
import {
  EIR_CLIENT_MESSAGE_TYPES,
  base64ByteLength,
  checkDatasetInfo,
  checkSampleIds,
  checkSampleValues,
  parseClientMessage,
  toWireSample,
} from '../../../src/serve/eir/index.js';
import { pythonJsonDumps } from '../../support/eir-client.js';
import type { JsonObj } from '../../support/eir-client.js';
import { SEED_INFO, buildSample } from './memory-source.js';

const opts = { maxBatchSize: 1000 };

function parse(text: string | Buffer): ReturnType<typeof parseClientMessage> {
  return parseClientMessage(text, opts);
}

function errorOf(text: string | Buffer): string {
  const r = parse(text);
  if (r.ok) throw new Error(`expected a parse error for ${String(text)}`);
  return r.error;
}

describe('serve/eir/protocol', () => {
  describe('parseClientMessage: what EIR 0.23.0 sends (C1–C7)', () => {
    it('parses every message of the catalogue, in Python json.dumps spacing', () => {
      const sent: JsonObj[] = [
        { type: 'handshake', version: '1.0', worker_id: 0 },
        { type: 'getInfo' },
        { type: 'getData', payload: { batch_size: 64 } },
        { type: 'heartbeat' },
        { type: 'reset' },
        { type: 'reset', payload: {} },
        { type: 'status', payload: {} },
        { type: 'setValidationIds', payload: { validation_ids: ['a', 'b\u00e9'] } },
      ];
      const parsed = sent.map((m) => parse(pythonJsonDumps(m)));
      expect(parsed.map((p) => p.ok && p.message)).to.deep.equal([
        { type: 'handshake', version: '1.0', worker_id: 0 },
        { type: 'getInfo' },
        { type: 'getData', payload: { batch_size: 64 } },
        { type: 'heartbeat' },
        { type: 'reset' },
        { type: 'reset' },
        { type: 'status' },
        { type: 'setValidationIds', payload: { validation_ids: ['a', 'b\u00e9'] } },
      ]);
      expect(pythonJsonDumps(sent[7]!)).to.include('"b\\u00e9"');
      expect(new Set(parsed.map((p) => p.ok && p.message.type))).to.deep.equal(
        new Set(EIR_CLIENT_MESSAGE_TYPES),
      );
    });

    it('accepts binary frames holding UTF-8 JSON and a handshake without worker_id', () => {
      const r = parse(Buffer.from('{"type":"handshake","version":"1.0"}'));
      expect(r).to.deep.equal({ ok: true, message: { type: 'handshake', version: '1.0' } });
    });

    it('reads payloads defensively: messages that need none ignore whatever comes', () => {
      for (const payload of ['null', '5', '"x"', '[]', '{"a":1}']) {
        expect(parse(`{"type":"heartbeat","payload":${payload}}`)).to.deep.equal({
          ok: true,
          message: { type: 'heartbeat' },
        });
      }
    });

    it('turns malformed messages into error text, never a throw', () => {
      expect(errorOf('{not json')).to.match(/not valid JSON/);
      expect(errorOf('')).to.match(/not valid JSON/);
      expect(errorOf('[1,2]')).to.match(/JSON object, not an array/);
      expect(errorOf('"hello"')).to.match(/JSON object/);
      expect(errorOf('null')).to.match(/JSON object, not null/);
      expect(errorOf('{"payload":{}}')).to.match(/no "type" string/);
      expect(errorOf('{"type":7}')).to.match(/no "type" string/);
      expect(errorOf('{"type":"getSomething"}')).to.match(/Unknown message type: "getSomething"/);
      expect(errorOf('{"type":"handshake"}')).to.match(/"version" string/);
      expect(errorOf('{"type":"handshake","version":"1.0","worker_id":-1}')).to.match(/worker_id/);
      expect(errorOf(Buffer.from([0x7b, 0xff, 0xfe]))).to.match(/UTF-8/);
      expect(errorOf('['.repeat(100_000))).to.match(/not valid JSON/);
    });

    it('refuses getData without a payload or with a wrong batch_size', () => {
      expect(errorOf('{"type":"getData"}')).to.match(/getData needs a payload/);
      expect(errorOf('{"type":"getData","payload":[]}')).to.match(/getData needs a payload/);
      for (const size of ['0', '-1', '1.5', '"64"', 'true', 'null', '1e300', '1001', '9007199254740993']) {
        expect(errorOf(`{"type":"getData","payload":{"batch_size":${size}}}`), size).to.match(
          /batch_size" must be an integer from 1 to 1000/,
        );
      }
      expect(parse('{"type":"getData","payload":{"batch_size":1000}}').ok).to.equal(true);
    });

    it('refuses setValidationIds without a list of strings', () => {
      for (const payload of [
        '',
        ',"payload":{}',
        ',"payload":{"validation_ids":"a"}',
        ',"payload":{"validation_ids":[1]}',
      ]) {
        expect(errorOf(`{"type":"setValidationIds"${payload}}`)).to.match(/validation_ids/);
      }
    });
  });

  describe('checks on what a source gives', () => {
    it('accepts the seed dataset info and explains broken ones', () => {
      expect(checkDatasetInfo(SEED_INFO)).to.deep.equal([]);
      expect(checkDatasetInfo(null)).to.have.length(1);
      const broken = {
        inputs: {
          a: { type: 'array' },
          o: { type: 'omics', shape: [400] },
          b: { type: 'bytes' },
          i: { type: 'image', mode: 'CMYK' },
        },
        outputs: [],
      };
      const problems = checkDatasetInfo(broken);
      expect(problems.join('\n'))
        .to.match(/inputs\.a\.shape/)
        .and.match(/2-D/)
        .and.match(/inputs\.b\.type/)
        .and.match(/mode/);
      expect(problems.join('\n')).to.match(/"outputs" as an object/);
    });

    it('projects a sample to exactly the three keys and refuses extras or a wrong id', () => {
      const s = buildSample(0, 'x');
      expect(toWireSample(s, 'x')).to.deep.equal({ ok: true, sample: s });
      expect(toWireSample({ ...s, extra: 1 }, 'x')).to.deep.include({ ok: false });
      expect(toWireSample(s, 'y')).to.deep.include({ ok: false });
      expect(toWireSample({ ...s, inputs: [] }, 'x')).to.deep.include({ ok: false });
      expect(toWireSample(null, 'x')).to.deep.include({ ok: false });
    });

    it('checks sample values against the info', () => {
      expect(checkSampleValues(SEED_INFO, buildSample(3, 's'))).to.deep.equal([]);
      const bad = buildSample(3, 's');
      bad.inputs['array_data'] = Buffer.alloc(12).toString('base64');
      bad.inputs['omics_data'] = 'AQ-_';
      bad.target_labels['nope'] = {};
      bad.target_labels['output_sequence'] = { wrong: 'x' };
      const problems = checkSampleValues(SEED_INFO, bad).join('\n');
      expect(problems).to.match(/array_data holds 12 bytes, expected 200/);
      expect(problems).to.match(/omics_data is not standard/);
      expect(problems).to.match(/nope is not an output/);
      expect(problems).to.match(/output_sequence\.output_sequence must be a string/);
    });

    it('computes base64 byte lengths and refuses url-safe or unpadded text', () => {
      expect(base64ByteLength('zczMPc3MTD6amZk+zczMPg==')).to.equal(16);
      expect(base64ByteLength('AQAAAQ==')).to.equal(4);
      expect(base64ByteLength('')).to.equal(0);
      expect(Number.isNaN(base64ByteLength('AQAAAQ'))).to.equal(true);
      expect(Number.isNaN(base64ByteLength('zczMPc3MTD6amZk-zczMPg=='))).to.equal(true);
    });

    it('refuses duplicate, empty or path-like sample ids', () => {
      expect(checkSampleIds(['a', 'b'])).to.deep.equal([]);
      expect(checkSampleIds(['a', 'a'])[0]).to.match(/more than once/);
      expect(checkSampleIds([''])[0]).to.match(/non-empty/);
      expect(checkSampleIds(['../x'])[0]).to.match(/safe file name/);
      expect(checkSampleIds(['..'])[0]).to.match(/safe file name/);
      expect(checkSampleIds(['a\\b'])[0]).to.match(/safe file name/);
    });
  });
});
