/**
 * How a batch shows its progress: on a terminal, one line redrawn in place (a bar, done / failed /
 * running, ETA); elsewhere (a log, CI), one plain line per finished case.
 */
import { formatDuration, visibleControls } from '../harness/report/format.js';
import { casePassed, type CaseRecord } from './job.js';

/** What a batch tells its progress display. */
export interface Progress {
  /** `total` cases, of which `done` (and `failed` of them) finished before this run. */
  start(total: number, done: number, failed: number): void;
  began(id: string): void;
  ended(record: CaseRecord | undefined, id: string): void;
  /** A line to show now (a stop request …). */
  note(text: string): void;
  /** Clears the live line. */
  finish(): void;
}

/** Counts shared by both displays. */
class Tally {
  total = 0;
  done = 0;
  failed = 0;
  running = 0;
  /** Cases finished by this run (for the rate), and when it started. */
  doneHere = 0;
  readonly started = performance.now();

  /** Seconds left at this run's rate, or undefined before the first case ends. */
  etaMs(): number | undefined {
    if (this.doneHere === 0) return undefined;
    const perCase = (performance.now() - this.started) / this.doneHere;
    return perCase * (this.total - this.done);
  }
}

const BAR_WIDTH = 24;

/** The live one-line display for a terminal (redrawn at most every 100 ms). */
export function terminalProgress(out: NodeJS.WriteStream): Progress {
  const t = new Tally();
  let last = 0;
  const draw = (force = false): void => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const filled = t.total === 0 ? 0 : Math.round((BAR_WIDTH * t.done) / t.total);
    const eta = t.etaMs();
    const line =
      `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${t.done}/${t.total} done · ` +
      `${t.failed} failed · ${t.running} running · ETA ${eta === undefined ? '…' : formatDuration(eta)}`;
    out.write(`\r\x1b[K${line.slice(0, Math.max(20, (out.columns ?? 100) - 1))}`);
  };
  return {
    start(total, done, failed) {
      Object.assign(t, { total, done, failed });
      draw(true);
    },
    began() {
      t.running++;
      draw();
    },
    ended(record) {
      t.running--;
      if (record) {
        t.done++;
        t.doneHere++;
        if (!casePassed(record)) t.failed++;
      }
      draw(t.done === t.total);
    },
    note(text) {
      out.write(`\r\x1b[K${text}\n`);
      draw(true);
    },
    finish() {
      draw(true);
      out.write('\n');
    },
  };
}

/** Plain lines, one per finished case: `ok   id  passed  1.20 s  [12/200]`. */
export function lineProgress(out: NodeJS.WritableStream): Progress {
  const t = new Tally();
  return {
    start(total, done, failed) {
      Object.assign(t, { total, done, failed });
      out.write(`${total} case(s), ${done} already finished\n`);
    },
    began() {
      t.running++;
    },
    ended(record, id) {
      t.running--;
      if (!record) {
        out.write(`stop  ${oneLine(id)}: killed, will run again on --resume\n`);
        return;
      }
      t.done++;
      t.doneHere++;
      const ok = casePassed(record);
      if (!ok) t.failed++;
      const time = record.wallMs === null ? '' : `  ${formatDuration(record.wallMs)}`;
      out.write(
        `${ok ? 'ok  ' : 'FAIL'}  ${oneLine(id)}: ${record.outcome}${time}${ok ? '' : ` — ${oneLine(record.reason)}`}  [${t.done}/${t.total}]\n`,
      );
    },
    note(text) {
      out.write(`${text}\n`);
    },
    finish() {},
  };
}

/** Text from a case or a machine on one line, control characters made visible. */
function oneLine(text: string): string {
  return visibleControls(text.replace(/\s*\n\s*/g, ' '));
}
