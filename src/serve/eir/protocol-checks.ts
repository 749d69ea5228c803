/**
 * Checks that what a sample source gives is something EIR can decode: the dataset info, each
 * sample's keys and values, sample ids.
 */
import type { JsonValue } from '../../manifest/document.js';
import { describe, isPlainObject } from './protocol-parse.js';
import { EIR_IMAGE_MODES, EIR_INPUT_TYPES, EIR_OUTPUT_TYPES } from './protocol.js';
import type { EirDatasetInfo, EirInputValue, EirSample, EirTargetValue } from './protocol.js';

/** Product of a shape, or NaN when the shape is not a list of non-negative integers. */
export function shapeSize(shape: unknown): number {
  if (!Array.isArray(shape) || shape.length === 0) return NaN;
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) return NaN;
    n *= d as number;
  }
  return n;
}

/**
 * Problems that would make EIR fail on this dataset info, each as one sentence; empty when it is
 * usable. EIR reads `shape` of `array` and `omics` unconditionally, and omics must be 2-D.
 */
export function checkDatasetInfo(info: unknown): string[] {
  const problems: string[] = [];
  if (!isPlainObject(info))
    return [`The dataset info must be an object {inputs, outputs}, not ${describe(info)}`];
  for (const side of ['inputs', 'outputs'] as const) {
    const entries = info[side];
    if (!isPlainObject(entries)) {
      problems.push(`The dataset info needs "${side}" as an object (found ${describe(entries)})`);
      continue;
    }
    const allowed: readonly string[] = side === 'inputs' ? EIR_INPUT_TYPES : EIR_OUTPUT_TYPES;
    for (const [name, entry] of Object.entries(entries)) {
      const where = `${side}.${name}`;
      if (!isPlainObject(entry)) {
        problems.push(`${where} must be an object {type, shape?}`);
        continue;
      }
      const type = entry['type'];
      if (typeof type !== 'string' || !allowed.includes(type)) {
        problems.push(`${where}.type must be one of ${allowed.join(', ')} (found ${describe(type)})`);
        continue;
      }
      if (type === 'array' || type === 'omics') {
        const n = shapeSize(entry['shape']);
        if (Number.isNaN(n))
          problems.push(`${where}.shape must be a non-empty list of non-negative integers`);
        else if (type === 'omics' && (entry['shape'] as number[]).length !== 2) {
          problems.push(`${where}.shape must be 2-D for omics (EIR asserts it)`);
        }
      }
      const mode = entry['mode'];
      if (mode !== undefined && mode !== null && !(EIR_IMAGE_MODES as readonly unknown[]).includes(mode)) {
        problems.push(`${where}.mode must be one of ${EIR_IMAGE_MODES.join(', ')}`);
      }
    }
  }
  return problems;
}

const SAMPLE_KEYS = ['inputs', 'target_labels', 'sample_id'] as const;

/**
 * Checks the structure of a sample a source returned for `id` and returns it as a fresh object
 * with exactly the three keys EIR's `Sample(**d)` takes, or the problem in one sentence.
 * Structure only: the values are the source's business ({@link checkSampleValues} goes further).
 */
export function toWireSample(
  value: unknown,
  id: string,
): { ok: true; sample: EirSample } | { ok: false; error: string } {
  if (!isPlainObject(value)) return { ok: false, error: `sample ${id} is not an object` };
  const extra = Object.keys(value).filter((k) => !(SAMPLE_KEYS as readonly string[]).includes(k));
  if (extra.length > 0) {
    // Dropping them silently would hide a mapping bug; EIR itself would crash on them.
    return { ok: false, error: `sample ${id} has keys EIR does not accept: ${extra.join(', ')}` };
  }
  const { inputs, target_labels: targets, sample_id: sampleId } = value;
  if (sampleId !== id) {
    return { ok: false, error: `sample ${id} carries sample_id ${describe(sampleId)}` };
  }
  if (!isPlainObject(inputs)) return { ok: false, error: `sample ${id} "inputs" is not an object` };
  if (!isPlainObject(targets)) return { ok: false, error: `sample ${id} "target_labels" is not an object` };
  return {
    ok: true,
    sample: {
      inputs: inputs as Record<string, EirInputValue>,
      target_labels: targets as Record<string, EirTargetValue>,
      sample_id: id,
    },
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decoded byte length of a standard, padded base64 string, or NaN if it is not one (A.7: EIR silently corrupts URL-safe base64). */
export function base64ByteLength(text: string): number {
  if (!BASE64.test(text)) return NaN;
  return (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
}

function checkBase64Size(where: string, value: unknown, bytes: number, problems: string[]): void {
  if (typeof value !== 'string') {
    problems.push(`${where} must be a base64 string`);
    return;
  }
  const n = base64ByteLength(value);
  if (Number.isNaN(n)) problems.push(`${where} is not standard padded base64`);
  else if (!Number.isNaN(bytes) && n !== bytes) problems.push(`${where} holds ${n} bytes, expected ${bytes}`);
}

/**
 * Problems EIR would meet decoding this sample against `info` (A.7), each as one sentence:
 * inputs by modality (float32 arrays of `4·prod(shape)` bytes, omics one byte per element,
 * base64 standard and padded), target labels present in `outputs` and nested as EIR expects.
 * Inputs missing from `info.inputs` are allowed: EIR passes them through.
 */
export function checkSampleValues(info: EirDatasetInfo, sample: EirSample): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(sample.inputs)) {
    const entry = info.inputs[name];
    if (entry === undefined) continue;
    const where = `inputs.${name}`;
    switch (entry.type) {
      case 'sequence':
        if (typeof value !== 'string') problems.push(`${where} must be a string`);
        break;
      case 'tabular':
        if (!isPlainObject(value)) problems.push(`${where} must be an object of columns`);
        break;
      case 'array':
        checkBase64Size(where, value, 4 * shapeSize(entry.shape), problems);
        break;
      case 'omics':
        checkBase64Size(where, value, shapeSize(entry.shape), problems);
        break;
      case 'image':
        checkBase64Size(where, value, NaN, problems);
        break;
    }
  }
  for (const [name, value] of Object.entries(sample.target_labels)) {
    const entry = info.outputs[name];
    const where = `target_labels.${name}`;
    if (entry === undefined) {
      problems.push(`${where} is not an output of the dataset info (EIR fails on it)`);
      continue;
    }
    if (!isPlainObject(value)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    const nested: JsonValue | undefined = value[name];
    switch (entry.type) {
      case 'array':
        checkBase64Size(`${where}.${name}`, nested, 4 * shapeSize(entry.shape), problems);
        break;
      case 'image':
        checkBase64Size(`${where}.${name}`, nested, NaN, problems);
        break;
      case 'sequence':
        if (typeof nested !== 'string') problems.push(`${where}.${name} must be a string`);
        break;
      case 'tabular':
      case 'survival':
        break;
    }
  }
  return problems;
}

/**
 * Problems with a source's id list: ids must be unique non-empty strings that are safe as a file
 * name, because EIR's setup phase saves `<sample_id>.npy` / `.png`.
 */
export function checkSampleIds(ids: readonly unknown[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (problems.length >= 10) break;
    if (typeof id !== 'string' || id.length === 0) problems.push(`id #${i} must be a non-empty string`);
    else if (id === '.' || id === '..' || /[/\\\0]/.test(id)) {
      problems.push(`id ${JSON.stringify(id)} is not a safe file name (EIR saves <sample_id>.npy)`);
    } else if (seen.has(id)) problems.push(`id ${JSON.stringify(id)} occurs more than once`);
    else seen.add(id);
  }
  return problems;
}
