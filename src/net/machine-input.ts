/**
 * Which input of a machine a received group feeds, and what the other inputs are: a listening
 * machine has exactly one top-level `dicom-study` or `dicom-series` input; every other required
 * input comes from `--inputs FILE` (a case file's `inputs:` mapping, values inline).
 */
import { BerthError } from '../errors.js';
import type { MachineDefinition } from '../check/manifest.js';
import { loadCase } from '../harness/case.js';
import type { Property } from '../kinds/property.js';
import { dicomLevelOf } from '../kinds/registry.js';
import type { JsonObject } from '../manifest/document.js';
import type { GroupBy } from './staging.js';

/** The input a group feeds, and the level its layout has. */
export interface GroupInput {
  readonly property: Property;
  /** `study` for a study-shaped input, `series` for a series-shaped one. */
  readonly level: GroupBy;
}

/** The machine's one DICOM study or series input; BERTH_E_LISTEN_INPUT when there is not exactly one. */
export function groupInput(definition: MachineDefinition): GroupInput {
  const found: GroupInput[] = [];
  for (const property of definition.inputs) {
    const level = dicomLevelOf(property);
    if (level === 'study' || level === 'series') found.push({ property, level });
  }
  if (found.length !== 1) {
    throw new BerthError(
      'BERTH_E_LISTEN_INPUT',
      `berth listen feeds one DICOM study or series input; the machine has ${found.length}` +
        (found.length > 1 ? ` (${found.map((f) => f.property.name).join(', ')})` : ''),
      {
        path: definition.source.path,
        expected: 'exactly one top-level input of dicom-type dicom-study or dicom-series',
      },
    );
  }
  return found[0]!;
}

/**
 * The other inputs of every run: the `inputs:` of the case file `--inputs` names (none without
 * it), checked to give every required input but the DICOM one, and not to give that one.
 */
export async function otherInputs(
  definition: MachineDefinition,
  input: GroupInput,
  file: string | undefined,
): Promise<JsonObject> {
  const values: JsonObject = file ? ((await loadCase(file)).inputs ?? {}) : {};
  const where = file ?? definition.source.path;
  if (values[input.property.name] !== undefined) {
    throw new BerthError(
      'BERTH_E_LISTEN_INPUT',
      `--inputs gives ${input.property.name}, the input berth listen fills with each received group`,
      { path: where, property: input.property.name, expected: 'the other inputs only' },
    );
  }
  for (const p of definition.inputs) {
    if (p === input.property || p.nullable || values[p.name] !== undefined) continue;
    throw new BerthError(
      'BERTH_E_LISTEN_INPUT',
      `The machine's input ${p.name} is required, and berth listen has no value for it`,
      { path: where, property: p.name, expected: 'a value in the inputs: of --inputs FILE' },
    );
  }
  return values;
}
