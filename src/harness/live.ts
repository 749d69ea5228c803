import { visibleControls } from './report/format.js';
import type { RunEvent } from './run.js';

/**
 * Shows a run as it goes: a progress bar redrawn in place on a terminal, plain lines otherwise
 * (CI logs, pipes), so both stay readable.
 */
export function liveDisplay(
  stream: NodeJS.WriteStream,
  label: string,
): { onEvent: (e: RunEvent) => void; done: () => void } {
  const tty = stream.isTTY === true && !process.env['CI'];
  const started = Date.now();
  let stage = 'starting';
  let progress: number | null = null;
  let lastLine = '';
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const width = 24;
    const filled = progress === null ? 0 : Math.round((progress / 100) * width);
    const bar = progress === null ? '·'.repeat(width) : '█'.repeat(filled) + '░'.repeat(width - filled);
    const pct = progress === null ? '   ' : `${String(Math.round(progress)).padStart(3)}%`;
    stream.write(`\r\x1b[2K${visibleControls(label)}  ${bar} ${pct}  ${stage}  ${seconds} s`);
  };
  const line = (text: string) => {
    if (tty) stream.write('\r\x1b[2K');
    // A machine's text (its warnings) never reaches the terminal raw: escapes would act on it.
    stream.write(visibleControls(text) + '\n');
    if (tty) draw();
  };
  if (tty) timer = setInterval(draw, 250);
  timer?.unref();
  return {
    onEvent(e) {
      if (e.type === 'stage') {
        stage = e.stage;
        if (tty) draw();
        else if (e.stage === 'running' || e.stage === 'compare') line(`${label}: ${e.stage}`);
      } else if (e.type === 'status') {
        if (e.status.progress !== progress) {
          progress = e.status.progress;
          if (tty) draw();
          else if (progress !== null) line(`${label}: progress ${progress}%`);
        }
        const latest = e.status.warnings[e.status.warnings.length - 1];
        if (latest && latest !== lastLine) {
          lastLine = latest;
          line(`${label}: warning: ${latest}`);
        }
      }
    },
    done() {
      if (timer) clearInterval(timer);
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}
