import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, finding, type Finding } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../manifest/document.js';
import { loadManifestText, readManifestText } from '../manifest/load.js';
import { MAX_TIMEOUT_MINUTES } from '../manifest/manifest.js';
import { TIMEOUT_RULE } from '../manifest/validate.js';
import { OUTCOMES, type Outcome } from './outcome.js';
import type { Tolerance } from './types.js';

/** The names a case file may have inside a case directory. */
export const CASE_FILE_NAMES = ['case.yaml', 'case.yml', 'case.json'];

/** A case, as loaded: where its inputs and expected outputs come from. */
export interface CaseSpec {
  name: string;
  /** The case file or directory as given. */
  path: string;
  /** The case file itself (`case.yaml` …), when the case has one. */
  file?: string;
  description?: string;
  /** Relative paths in the case resolve against this directory. */
  baseDir: string;
  /** An input tree to copy as it is (directory cases). */
  inputDir?: string;
  /** Input values to materialise (case files). */
  inputs?: JsonObject;
  /** An expected output tree. */
  expectedDir?: string;
  /** Expected output values to materialise. */
  expectedOutputs?: JsonObject;
  /** The outcome the case expects (default `passed`). */
  expectedOutcome: Outcome;
  /** Comparison tolerances by output property path (`confidence`, `measurements/[]/area-mm2`). */
  tolerances: Record<string, Tolerance>;
  /** Timeout for this case, in milliseconds. */
  timeoutMs?: number;
}

async function kindOfPath(p: string): Promise<'file' | 'directory' | 'missing'> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

/**
 * Loads a case: a case file (`case.yaml`/`.json`, values inline, files by path), a directory
 * holding a case file, a directory with `input/` (and optionally `expected/`), or an input tree
 * itself.
 */
export async function loadCase(casePath: string): Promise<CaseSpec> {
  const abs = path.resolve(casePath);
  const what = await kindOfPath(abs);
  if (what === 'missing') {
    throw new BerthError('BERTH_E_NOT_FOUND', `The case ${casePath} does not exist`, {
      path: casePath,
      expected: 'a case file or a case directory',
    });
  }
  if (what === 'file') return loadCaseFile(abs, casePath);
  for (const name of CASE_FILE_NAMES) {
    const file = path.join(abs, name);
    if ((await kindOfPath(file)) === 'file') return loadCaseFile(file, casePath);
  }
  const input = path.join(abs, 'input');
  const expected = path.join(abs, 'expected');
  const hasInput = (await kindOfPath(input)) === 'directory';
  const hasExpected = (await kindOfPath(expected)) === 'directory';
  return {
    name: path.basename(abs),
    path: casePath,
    baseDir: abs,
    inputDir: hasInput ? input : abs,
    ...(hasExpected ? { expectedDir: expected } : {}),
    expectedOutcome: 'passed',
    tolerances: {},
  };
}

async function loadCaseFile(file: string, given: string): Promise<CaseSpec> {
  const source = loadManifestText(await readManifestText(file), file.endsWith('.json') ? file : file);
  const doc = source.document;
  const problems = validateCaseDocument(doc, file);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new BerthError('BERTH_E_CASE_FORMAT', first.message, {
      path: file,
      ...(first.property === undefined ? {} : { property: first.property }),
      ...(first.expected === undefined ? {} : { expected: first.expected }),
      ...(source.lineOf(first.property?.split('/') ?? []) === undefined
        ? {}
        : { line: source.lineOf(first.property!.split('/'))! }),
    });
  }
  const baseDir = path.dirname(file);
  const dirName = path.basename(baseDir);
  const stem = path.basename(file).replace(/\.(ya?ml|json)$/, '');
  const name =
    typeof doc['name'] === 'string'
      ? doc['name']
      : CASE_FILE_NAMES.includes(path.basename(file))
        ? dirName
        : stem;
  const expected = isJsonObject(doc['expected']) ? doc['expected'] : {};
  const resolveDir = (v: JsonValue | undefined) =>
    typeof v === 'string' ? path.resolve(baseDir, v) : undefined;
  const inputDir =
    resolveDir(doc['input-dir']) ??
    (isJsonObject(doc['inputs']) ? undefined : await defaultDir(baseDir, 'input'));
  const expectedDir =
    resolveDir(expected['outputs-dir']) ??
    (isJsonObject(expected['outputs']) ? undefined : await defaultDir(baseDir, 'expected'));
  return {
    name,
    path: given,
    file,
    baseDir,
    ...(typeof doc['description'] === 'string' ? { description: doc['description'] } : {}),
    ...(inputDir ? { inputDir } : {}),
    ...(isJsonObject(doc['inputs']) ? { inputs: doc['inputs'] } : {}),
    ...(expectedDir ? { expectedDir } : {}),
    ...(isJsonObject(expected['outputs']) ? { expectedOutputs: expected['outputs'] } : {}),
    expectedOutcome: (typeof expected['outcome'] === 'string' ? expected['outcome'] : 'passed') as Outcome,
    tolerances: (isJsonObject(doc['tolerances']) ? doc['tolerances'] : {}) as Record<string, Tolerance>,
    ...(typeof doc['timeout'] === 'number' ? { timeoutMs: doc['timeout'] * 60_000 } : {}),
  };
}

async function defaultDir(baseDir: string, name: string): Promise<string | undefined> {
  const dir = path.join(baseDir, name);
  return (await kindOfPath(dir)) === 'directory' ? dir : undefined;
}

const CASE_KEYS = [
  '$schema',
  'name',
  'description',
  'inputs',
  'input-dir',
  'expected',
  'tolerances',
  'timeout',
];

/** Checks the shape of a case document (see schemas/case.schema.json). */
export function validateCaseDocument(doc: JsonObject, file: string): Finding[] {
  const out: Finding[] = [];
  const bad = (property: string, message: string, expected: string) =>
    out.push(finding('BERTH_E_CASE_FORMAT', message, { path: file, property, expected }));
  for (const key of Object.keys(doc)) {
    if (!CASE_KEYS.includes(key))
      bad(key, `Unknown case key ${JSON.stringify(key)}`, `one of ${CASE_KEYS.join(', ')}`);
  }
  if (doc['inputs'] !== undefined && !isJsonObject(doc['inputs']))
    bad('inputs', 'inputs must be a mapping', 'name: value');
  if (doc['inputs'] === undefined && doc['input-dir'] === undefined) {
    // A case with neither uses the input/ directory beside it; checked when materialised.
  }
  const expected = doc['expected'];
  if (expected !== undefined) {
    if (!isJsonObject(expected))
      bad('expected', 'expected must be a mapping', 'outcome, outputs, outputs-dir');
    else {
      for (const key of Object.keys(expected)) {
        if (!['outcome', 'outputs', 'outputs-dir'].includes(key)) {
          bad(`expected/${key}`, `Unknown key ${JSON.stringify(key)}`, 'outcome, outputs or outputs-dir');
        }
      }
      const outcome = expected['outcome'];
      if (outcome !== undefined && (typeof outcome !== 'string' || !(outcome in OUTCOMES))) {
        bad(
          'expected/outcome',
          `expected.outcome ${JSON.stringify(outcome)} is not an outcome`,
          Object.keys(OUTCOMES).join(', '),
        );
      }
      if (expected['outputs'] !== undefined && !isJsonObject(expected['outputs'])) {
        bad('expected/outputs', 'expected.outputs must be a mapping', 'name: value');
      }
    }
  }
  const tolerances = doc['tolerances'];
  if (tolerances !== undefined) {
    if (!isJsonObject(tolerances))
      bad('tolerances', 'tolerances must be a mapping', 'property path: {abs, rel, …}');
    else {
      for (const [k, v] of Object.entries(tolerances)) {
        if (!isJsonObject(v))
          bad(
            `tolerances/${k}`,
            'a tolerance must be a mapping',
            '{abs, rel, maxDiffPixels, dice, ignore, method}',
          );
      }
    }
  }
  const timeout = doc['timeout'];
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' || !(timeout > 0) || !(timeout <= MAX_TIMEOUT_MINUTES))
  ) {
    bad('timeout', TIMEOUT_RULE, 'e.g. 0.5 for 30 seconds');
  }
  return out;
}
