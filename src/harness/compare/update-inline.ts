/**
 * `--update` of a case file's inline `expected.outputs`: each value listed there is replaced by
 * the actual output, read with the SDK's readers (through the wire encoder's JSON form: numbers,
 * strings, booleans, percentages as fractions, date-times as ISO text, objects and arrays of
 * them). Values a case file cannot hold inline (files, ndarrays, DICOM, survival) make the case
 * refused before anything runs. The case file is rewritten atomically; a YAML file keeps its
 * comments and layout (only the values change).
 */
import { readFile } from 'node:fs/promises';
import { isScalar, parseDocument } from 'yaml';
import { BerthError } from '../../errors.js';
import type { MachineDefinition } from '../../check/manifest.js';
import type { Property } from '../../kinds/property.js';
import { kindOf } from '../../kinds/registry.js';
import { writeFileAtomic } from '../../tree/atomic.js';
import { encodeTreeValue } from '../../wire/case.js';
import type { CaseSpec } from '../case.js';
import { textFormOf } from '../../kinds/kind.js';

/** True when a value of `p` has an inline form in a case file that reads back the same. */
function inlinable(p: Property): boolean {
  if (textFormOf(kindOf(p.kind)) !== undefined) return true;
  if (p.items !== undefined) return inlinable(p.items);
  return p.properties !== undefined && p.properties.every(inlinable);
}

/** The output properties a case lists inline, or the names it lists that cannot be updated there. */
function inlineProperties(
  spec: CaseSpec,
  definition: MachineDefinition,
): { props: Property[]; refused: string[] } {
  const props: Property[] = [];
  const refused: string[] = [];
  for (const name of Object.keys(spec.expectedOutputs ?? {})) {
    const p = definition.outputs.find((o) => o.name === name);
    // An unknown name fails when the case is materialised, with its own finding.
    if (p === undefined) continue;
    if (inlinable(p)) props.push(p);
    else refused.push(`${name} (${kindOf(p.kind).label(p)})`);
  }
  return { props, refused };
}

/**
 * Refuses, before anything runs, an `--update` of a case whose inline expected outputs cannot all
 * be rewritten inline, or whose case file is not known.
 * @throws BerthError BERTH_E_USAGE naming the outputs and the way out.
 */
export function assertInlineUpdatable(spec: CaseSpec, definition: MachineDefinition): void {
  if (!spec.expectedOutputs) return;
  const { refused } = inlineProperties(spec, definition);
  if (refused.length === 0 && spec.file !== undefined) return;
  throw new BerthError(
    'BERTH_E_USAGE',
    `--update cannot rewrite the inline expected.outputs of the case ${spec.name}: ` +
      (refused.length > 0
        ? `${refused.join(', ')} ha${refused.length === 1 ? 's' : 've'} no inline form in a case file`
        : 'its case file is not known'),
    {
      path: spec.file ?? spec.path,
      expected:
        'inline expected outputs of numbers, strings, booleans, enums, percentages, date-times, or ' +
        'objects and arrays of them; keep files, ndarrays and DICOM in an expected/ tree (outputs-dir)',
    },
  );
}

/**
 * Rewrites the case file's inline `expected.outputs` with the actual outputs in `outputDir`.
 * Returns the names updated. @throws the SDK readers' BerthErrors, BERTH_E_IO.
 */
export async function updateInlineOutputs(
  spec: CaseSpec,
  definition: MachineDefinition,
  outputDir: string,
): Promise<string[]> {
  assertInlineUpdatable(spec, definition);
  const file = spec.file!;
  const { props } = inlineProperties(spec, definition);
  const actual = await encodeTreeValue('json', props, outputDir);
  const value = (name: string): unknown => (name in actual ? actual[name] : null);
  const text = await readFile(file, 'utf8');
  let updated: string;
  if (file.endsWith('.json')) {
    const doc = JSON.parse(text) as { expected: { outputs: Record<string, unknown> } };
    for (const p of props) doc.expected.outputs[p.name] = value(p.name);
    updated = JSON.stringify(doc, null, 2) + '\n';
  } else {
    const doc = parseDocument(text);
    for (const p of props) {
      const at = ['expected', 'outputs', p.name];
      const v = value(p.name);
      const node: unknown = doc.getIn(at, true);
      // A scalar keeps its node (and so its comment); anything else gets a new one.
      if (isScalar(node) && (v === null || typeof v !== 'object')) node.value = v;
      else doc.setIn(at, doc.createNode(v));
    }
    updated = doc.toString();
  }
  await writeFileAtomic(file, updated);
  return props.map((p) => p.name);
}
