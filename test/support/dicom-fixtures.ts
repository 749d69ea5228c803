/** Fixtures of the DICOM tree and SDK tests: machine definitions from inline schemas, edited instances. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { checkManifest, type MachineDefinition } from '../../src/check/manifest.js';
import { synthSeries, type SeriesSpec } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10, element, type WriteElement, type WriteValue } from '../../src/dicom/write.js';
import type { Finding } from '../../src/errors.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { writeFileAtomic } from '../../src/tree/atomic.js';

/** A checked machine definition declaring these schemas (throws when the manifest has errors). */
export function definition(schemaIn: object, schemaOut: object = {}): MachineDefinition {
  const text = JSON.stringify({
    'metadata-version': 2,
    info: { name: 'dicom-test' },
    'schema-in': schemaIn,
    'schema-out': schemaOut,
  });
  const result = checkManifest(loadManifestText(text, 'machine.json'));
  if (!result.ok) throw new Error(`bad test manifest: ${JSON.stringify(result.findings)}`);
  return result.definition;
}

/**
 * Instance `index` of a synthetic series with some attributes replaced (by keyword), encoded as
 * Part 10 bytes — for instances no generator option makes (another study, frame of reference …).
 */
export function editedInstance(
  spec: SeriesSpec,
  index: number,
  edits: Record<string, WriteValue>,
  transferSyntaxUid: string = TS.ExplicitVRLittleEndian,
): { bytes: Buffer; sopInstanceUid: string } {
  const inst = synthSeries(spec)[index]!;
  const replaced = new Map<number, WriteElement>(
    Object.entries(edits).map(([keyword, value]) => {
      const e = element(keyword, value);
      return [e.tag, e];
    }),
  );
  const elements = inst.elements.map((e) => replaced.get(e.tag) ?? e);
  for (const [tag, e] of replaced) if (!inst.elements.some((x) => x.tag === tag)) elements.push(e);
  elements.sort((a, b) => a.tag - b.tag);
  const sop = (edits['SOPInstanceUID'] as string | undefined) ?? inst.sopInstanceUid;
  return { bytes: encodePart10(elements, { transferSyntaxUid }), sopInstanceUid: sop };
}

/** Writes bytes to `dir/name`, creating `dir`. */
export async function put(dir: string, name: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFileAtomic(file, bytes);
  return file;
}

/** The codes of some findings, sorted. */
export function codes(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.code).sort();
}
