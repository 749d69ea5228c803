import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BerthError } from '../errors.js';
import { MAX_TIMEOUT_MINUTES } from '../manifest/manifest.js';
import { Deidentifier, MIN_SECRET_BYTES } from '../dicom/deid/deidentify.js';
import { deidSecret } from '../dicom/deid/settings.js';
import type { DeidRunSettings } from '../harness/deid-stage.js';
import { splitCommand } from '../harness/machine.js';

/** Parses `flag`'s value as a whole number from `min` to `max` (decimal digits only). */
export function parseWholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new BerthError('BERTH_E_USAGE', `${flag} ${text} is not a whole number from ${min} to ${max}`, {
      expected: `${min}–${max}`,
    });
  }
  return n;
}

/**
 * Parses a duration: `90s`, `5m`, `1h`, `250ms`, or a bare number of minutes (like the manifest),
 * positive and at most {@link MAX_TIMEOUT_MINUTES} minutes (30 days, e.g. `720h`).
 */
export function parseDuration(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) {
    throw new BerthError('BERTH_E_USAGE', `${JSON.stringify(text)} is not a duration`, {
      expected: 'e.g. 90s, 5m, 1h, or a number of minutes',
    });
  }
  const n = Number(m[1]);
  const unit = m[2] ?? 'm';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000;
  const ms = n * factor;
  if (!(ms > 0))
    throw new BerthError('BERTH_E_USAGE', 'The timeout must be positive', {
      expected: 'a positive duration',
    });
  if (!(ms <= MAX_TIMEOUT_MINUTES * 60_000))
    throw new BerthError('BERTH_E_USAGE', `The timeout ${text.trim()} is longer than 30 days`, {
      expected: `a duration up to ${MAX_TIMEOUT_MINUTES} minutes (720h)`,
    });
  return ms;
}

/** Parses a byte size: `10MB`, `512k`, `1GiB`, or bytes. */
export function parseBytes(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]i?b?|b)?\s*$/i.exec(text);
  if (!m)
    throw new BerthError('BERTH_E_USAGE', `${JSON.stringify(text)} is not a size`, {
      expected: 'e.g. 10MB, 512k',
    });
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * factor);
}

/** Collects a repeatable option into a list (commander helper). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** What to launch, and with what: the options of every command that runs the machine. */
export interface LaunchFlags {
  driver: string;
  image?: string;
  engine?: string;
  cmd?: string;
}

/**
 * Adds `--driver`, `--image`, `--engine` and `--cmd` to a command; `also` ends the help of
 * `--image` and `--cmd` (what the command asks more of them).
 */
export function addLaunchOptions(command: Command, also = ''): Command {
  return command
    .option('--driver <driver>', 'process, sandbox or container', 'process')
    .option('--image <image>', `the image to run (container driver)${also}`)
    .option('--engine <engine>', 'podman or docker (container driver; default: whichever is installed)')
    .option('--cmd <command>', `the machine's command (overrides berth.command in the manifest)${also}`);
}

/** The machine overrides the {@link LaunchFlags} give: command (split into words), image, engine. */
export function launchOverrides(flags: Omit<LaunchFlags, 'driver'>): {
  command?: string[];
  image?: string;
  engine?: string;
} {
  return {
    ...(flags.cmd ? { command: splitCommand(flags.cmd) } : {}),
    ...(flags.image ? { image: flags.image } : {}),
    ...(flags.engine ? { engine: flags.engine } : {}),
  };
}

/** The driver options shared by `run`, `test` and `serve`. */
export interface DriverFlags {
  writableInput?: boolean;
  bind?: string[];
  roBind?: string[];
}

/** Adds `--writable-input`, `--bind` and `--ro-bind` to a command. */
export function addDriverOptions(command: Command): Command {
  return command
    .option('--writable-input', 'give the machine a private writable copy of its input tree')
    .option('--bind <path>', 'sandbox: bind a host path read-write at its own place (repeatable)', collect)
    .option('--ro-bind <path>', 'sandbox: bind a host path read-only at its own place (repeatable)', collect);
}

/** The execute options of {@link addDriverOptions}' flags; bound paths are made absolute. */
export function driverSettings(flags: DriverFlags): {
  writableInput?: boolean;
  binds?: { path: string; writable: boolean }[];
} {
  const binds = [
    ...(flags.bind ?? []).map((p) => ({ path: path.resolve(p), writable: true })),
    ...(flags.roBind ?? []).map((p) => ({ path: path.resolve(p), writable: false })),
  ];
  for (const b of binds) {
    if (!existsSync(b.path)) {
      throw new BerthError(
        'BERTH_E_USAGE',
        `${b.writable ? '--bind' : '--ro-bind'} ${b.path} does not exist`,
        {
          path: b.path,
          expected: 'an existing host file or directory',
        },
      );
    }
  }
  return {
    ...(flags.writableInput ? { writableInput: true } : {}),
    ...(binds.length > 0 ? { binds } : {}),
  };
}

/** The `--deidentify` options shared by `run` and `test`. */
export interface DeidFlags {
  deidentify?: boolean;
  deidSecretFile?: string;
  modifiedDates?: boolean;
  patientCharacteristics?: boolean;
  deviceIdentity?: boolean;
  cleanDescriptors?: boolean;
  keepPrivate?: string[];
  allowBurnedIn?: boolean;
}

/** Adds `--deidentify` and its profile options (the keep list is the manifest's dicom-tags). */
export function addDeidOptions(command: Command): Command {
  return command
    .option(
      '--deidentify',
      'de-identify DICOM inputs as the platform does; leak-check and re-identify outputs',
    )
    .option(
      '--deid-secret-file <file>',
      `the site secret (≥ ${MIN_SECRET_BYTES} bytes; else $BERTH_DEID_SECRET, else random for this command)`,
    )
    .option('--no-modified-dates', 'with --deidentify: remove dates instead of shifting them')
    .option('--patient-characteristics', 'with --deidentify: Retain Patient Characteristics option')
    .option('--device-identity', 'with --deidentify: Retain Device Identity option')
    .option('--clean-descriptors', 'with --deidentify: Clean Descriptors option')
    .option(
      '--keep-private <creator>',
      'with --deidentify: keep this private creator’s blocks (repeatable)',
      collect,
    )
    .option(
      '--allow-burned-in',
      'with --deidentify: also accept instances that may have identity in their pixels',
    );
}

/**
 * The de-identification settings of {@link addDeidOptions}' flags, the secret read and checked now
 * (a bad secret costs no run); undefined without `--deidentify`.
 */
export async function deidSettings(flags: DeidFlags): Promise<DeidRunSettings | undefined> {
  if (!flags.deidentify) return undefined;
  const { secret, source } = await deidSecret(flags.deidSecretFile);
  const settings: DeidRunSettings = {
    secret,
    secretSource: source,
    retainModifiedDates: flags.modifiedDates !== false,
    ...(flags.patientCharacteristics ? { retainPatientCharacteristics: true } : {}),
    ...(flags.deviceIdentity ? { retainDeviceIdentity: true } : {}),
    ...(flags.cleanDescriptors ? { cleanDescriptors: true } : {}),
    ...(flags.keepPrivate?.length ? { keepPrivateCreators: flags.keepPrivate } : {}),
    ...(flags.allowBurnedIn ? { allowBurnedIn: true } : {}),
  };
  new Deidentifier({ secret }); // the library's secret rule: BERTH_E_DEID_MAP when too short
  return settings;
}

/** The command-line words of {@link addDeidOptions}' flags, to print a command that reruns alike. */
export function deidArgs(flags: DeidFlags): string[] {
  if (!flags.deidentify) return [];
  const args = ['--deidentify'];
  if (flags.deidSecretFile) args.push('--deid-secret-file', flags.deidSecretFile);
  if (flags.modifiedDates === false) args.push('--no-modified-dates');
  if (flags.patientCharacteristics) args.push('--patient-characteristics');
  if (flags.deviceIdentity) args.push('--device-identity');
  if (flags.cleanDescriptors) args.push('--clean-descriptors');
  for (const c of flags.keepPrivate ?? []) args.push('--keep-private', c);
  if (flags.allowBurnedIn) args.push('--allow-burned-in');
  return args;
}
