import { readdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { BerthError } from '../errors.js';
import { Deidentifier, MIN_SECRET_BYTES } from '../dicom/deid/deidentify.js';
import { deidentifyFolder } from '../dicom/deid/folder.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { deidSecret, keepTag } from '../dicom/deid/settings.js';
import { EXIT, reportError, writeOut } from './output.js';

interface DeidCliOptions {
  out: string;
  map?: string;
  secretFile?: string;
  modifiedDates: boolean;
  patientCharacteristics?: boolean;
  deviceIdentity?: boolean;
  cleanDescriptors?: boolean;
  cleanStructuredContent?: boolean;
  cleanGraphics?: boolean;
  keep: string[];
  keepPrivate: string[];
  allowBurnedIn?: boolean;
  json?: boolean;
}

const collect = (v: string, list: string[]): string[] => [...list, v];

/**
 * `berth deid <in> --out DIR [--map FILE] [options]`: de-identifies every DICOM file under <in> as the
 * platform would (PS3.15 basic profile + options) and writes the map re-identification needs.
 * Exit 0 all converted, 1 some files skipped, 2 unusable.
 */
export function registerDeid(program: Command): void {
  program
    .command('deid')
    .description(
      'de-identify DICOM files (PS3.15 Annex E basic profile, modified dates) as the platform does',
    )
    .argument('<in>', 'a DICOM file or a folder of them')
    .requiredOption('--out <dir>', 'the output folder (absent or empty)')
    .option('--map <file>', 'where to write the map (PHI: keep it private; default <out>.map.json)')
    .option(
      '--secret-file <file>',
      `the site secret (≥ ${MIN_SECRET_BYTES} bytes; else $BERTH_DEID_SECRET, else random)`,
    )
    .option('--no-modified-dates', 'remove dates instead of shifting them')
    .option('--patient-characteristics', 'Retain Patient Characteristics option')
    .option('--device-identity', 'Retain Device Identity option')
    .option('--clean-descriptors', 'Clean Descriptors option')
    .option('--clean-structured-content', 'Clean Structured Content option (SR content cleaned, not dummied)')
    .option('--clean-graphics', 'Clean Graphics option (graphic annotations cleaned, not dummied)')
    .option(
      '--keep <tag>',
      'keep this keyword or tag as it is (repeatable: the dicom-tags list)',
      collect,
      [],
    )
    .option('--keep-private <creator>', 'keep the private blocks of this creator (repeatable)', collect, [])
    .option('--allow-burned-in', 'also de-identify instances that may have identity in their pixels')
    .option('--json', 'print the report as JSON')
    .action(async (input: string, opts: DeidCliOptions) => {
      process.exitCode = await runDeid(input, opts);
    });
}

async function ensureEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw e;
  });
  if (entries.length > 0) {
    throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${dir} is not empty`, {
      path: dir,
      expected: 'an absent or empty folder',
    });
  }
}

async function runDeid(input: string, opts: DeidCliOptions): Promise<number> {
  const json = opts.json === true;
  try {
    await ensureEmpty(opts.out);
    const d = new Deidentifier({
      secret: (await deidSecret(opts.secretFile)).secret,
      retainModifiedDates: opts.modifiedDates,
      retainPatientCharacteristics: opts.patientCharacteristics,
      retainDeviceIdentity: opts.deviceIdentity,
      cleanDescriptors: opts.cleanDescriptors,
      cleanStructuredContent: opts.cleanStructuredContent,
      cleanGraphics: opts.cleanGraphics,
      keep: opts.keep.map(keepTag),
      keepPrivateCreators: opts.keepPrivate,
      allowBurnedIn: opts.allowBurnedIn,
    });
    const report = await deidentifyFolder(input, opts.out, d);
    const mapPath = opts.map ?? `${opts.out.replace(/\/+$/, '')}.map.json`;
    await writeFileAtomic(mapPath, JSON.stringify(d.map(), null, 1) + '\n', { mode: 0o600 });
    const code = report.skipped.length > 0 ? EXIT.findings : EXIT.ok;
    if (json) {
      await writeOut(
        JSON.stringify({ ok: code === EXIT.ok, map: mapPath, method: d.method(), ...report }, null, 2) + '\n',
      );
    } else {
      const lines = report.skipped.map(
        (s) => `skipped  ${s.reason}  ${s.path}${s.code ? `  ${s.code}` : ''}`,
      );
      const counts = Object.entries(report.actions).map(([a, n]) => `${n} ${a}`);
      lines.push(
        `${opts.out}: de-identified ${report.written.length} instance(s) (${counts.join(', ')}); map ${mapPath}`,
      );
      await writeOut(lines.join('\n') + '\n');
    }
    return code;
  } catch (e) {
    return reportError(e, json);
  }
}
