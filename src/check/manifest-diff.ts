/**
 * `berth diff`: what changed between two versions of a machine's manifest, each change classified
 * as breaking or not for a platform that already sends the old inputs and reads the old outputs.
 * The schemas are compared property by property by the kinds (kinds/compat.ts); the settings
 * (timeout, network, GPU, info, DICOM tags) here, all compatible: the platform sends and reads
 * the same files whatever they are.
 */
import { compareMembers, type SchemaChange } from '../kinds/compat.js';
import type { ManifestSettings } from '../manifest/manifest.js';
import type { MachineDefinition } from './manifest.js';

export type { SchemaChange } from '../kinds/compat.js';

/** Settings whose change is compatible but worth a look before switching versions. */
const NOTEWORTHY: readonly { key: 'timeoutMinutes' | 'network' | 'nvidia'; label: string; why: string }[] = [
  { key: 'timeoutMinutes', label: 'timeout', why: 'runs are stopped at another time' },
  { key: 'network', label: 'network', why: 'the machine gets (or loses) network access' },
  { key: 'nvidia', label: 'nvidia', why: 'the machine needs (or no longer needs) a GPU' },
];

function settingChanges(a: ManifestSettings, b: ManifestSettings): SchemaChange[] {
  const out: SchemaChange[] = [];
  for (const { key, label, why } of NOTEWORTHY) {
    if (a[key] !== b[key]) {
      out.push({
        change: `${label} changed`,
        path: label,
        breaking: false,
        why: `${String(a[key])} → ${String(b[key])}: compatible, but noteworthy: ${why}`,
      });
    }
  }
  const fields = new Set([...Object.keys(a.info), ...Object.keys(b.info)]);
  for (const field of fields) {
    if (a.info[field] !== b.info[field]) {
      out.push({
        change: 'info changed',
        path: `info/${field}`,
        breaking: false,
        why: 'descriptive text only',
      });
    }
  }
  if (JSON.stringify(a.dicomTags) !== JSON.stringify(b.dicomTags)) {
    out.push({
      change: 'dicom-tags changed',
      path: 'dicom-tags',
      breaking: false,
      why: 'the attributes shown with results changed',
    });
  }
  return out;
}

/** Every change from `a` (the old version) to `b` (the new one): inputs, outputs, then settings. */
export function diffMachines(a: MachineDefinition, b: MachineDefinition): SchemaChange[] {
  return [
    ...compareMembers('in', a.inputs, b.inputs),
    ...compareMembers('out', a.outputs, b.outputs),
    ...settingChanges(a.settings, b.settings),
  ];
}
