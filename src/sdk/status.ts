import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';

/**
 * The status channel of the EnvoyAI example machines: `progress` gets `N%` lines appended,
 * `warn` holds warning lines, `error` the reason of a failure shown to the user.
 */
export class Status {
  private ready: Promise<unknown> | undefined;
  private lastProgress = -1;

  constructor(
    /** The status directory (`/envoyai/status` on the platform). */
    readonly dir: string,
  ) {}

  private ensure(): Promise<unknown> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    return this.ready;
  }

  /**
   * Appends `N%` (0–100, at most one decimal) to `progress`. Values going backwards are allowed
   * (a machine may restart a phase); repeats of the same value are skipped.
   */
  async progress(percent: number): Promise<void> {
    if (typeof percent !== 'number' || !Number.isFinite(percent)) {
      throw new BerthError(
        'BERTH_E_VALUE_TYPE',
        `progress takes a number from 0 to 100, not ${String(percent)}`,
      );
    }
    const value = Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
    if (value === this.lastProgress) return;
    this.lastProgress = value;
    await this.ensure();
    await appendFile(path.join(this.dir, 'progress'), `${value}%\n`);
  }

  /** Appends a warning line to `warn`. */
  async warn(text: string): Promise<void> {
    await this.ensure();
    await appendFile(path.join(this.dir, 'warn'), oneLine(text) + '\n');
  }

  /** Writes the failure reason to `error` (replacing an earlier one). */
  async error(text: string): Promise<void> {
    await this.ensure();
    await writeFile(path.join(this.dir, 'error'), text.endsWith('\n') ? text : text + '\n');
  }

  /** The same as {@link error}, synchronously: for process exit and crash handlers. */
  errorSync(text: string, append = false): void {
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, 'error');
    (append ? appendFileSync : writeFileSync)(file, text.endsWith('\n') ? text : text + '\n');
  }
}

function oneLine(text: string): string {
  return String(text).replace(/\r?\n/g, ' ');
}
