/** Helpers of the `berth listen` tests: a spool fed the way the receivers feed it, and bounded waits. */
import { link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeSeries, type SeriesSpec, type WrittenSeries } from '../../src/dicom/synth.js';
import type { CommittedGroup } from '../../src/net/sink.js';
import type { Spool } from '../../src/net/spool.js';

/**
 * Writes a synthetic series and merges it into the spool's group of its study, as a committed
 * batch would (`groups/<study>/instances/<SOP>.dcm`); returns the series and the committed group.
 */
export async function feedSeries(
  spool: Spool,
  scratch: string,
  spec: SeriesSpec,
): Promise<{ series: WrittenSeries; group: CommittedGroup }> {
  const series = await writeSeries(
    path.join(scratch, `s-${String(spec.seed)}-${spec.seriesIndex ?? 0}`),
    spec,
  );
  const dir = spool.group(series.studyInstanceUid).instances;
  await mkdir(dir, { recursive: true });
  for (const f of series.files)
    await link(f.path, path.join(dir, `${f.sopInstanceUid}.dcm`)).catch(() => undefined);
  const instances = series.files.map((f) => ({
    sopInstanceUid: f.sopInstanceUid,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    studyInstanceUid: series.studyInstanceUid,
    seriesInstanceUid: series.seriesInstanceUid,
    transferSyntaxUid: series.transferSyntaxUid,
    bytes: 0,
  }));
  return { series, group: { key: series.studyInstanceUid, instances } };
}

/** Waits until `condition` holds, checking every 25 ms, for at most `ms` (then fails with `what`). */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
