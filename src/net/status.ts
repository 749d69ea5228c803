/**
 * `berth listen --status`: the groups of a spool and their state, read from disk (no server
 * needed, nothing written): a table, or JSON with `--json`.
 */
import { isBerthError } from '../errors.js';
import { lastRun, readGroupState, type GroupState } from './group-state.js';
import { instanceUids, type Spool } from './spool.js';

/** One group as `--status` shows it. */
export interface GroupStatusRow {
  readonly key: string;
  /** The state's status; `received` for a group whose state was not written yet. */
  readonly status: string;
  readonly instances: number;
  readonly runs: number;
  readonly lastOutcome?: string;
  /** Destinations that have the latest run's outputs, of those it is sent to. */
  readonly delivered: number;
  readonly destinations: number;
  readonly lastReceivedAt?: string;
  /** The latest run's folder, relative to the spool. */
  readonly runFolder?: string;
  /** The state is unreadable: why. */
  readonly error?: string;
  readonly state?: GroupState;
}

/** Every group of the spool, by key. */
export async function spoolStatus(spool: Spool): Promise<GroupStatusRow[]> {
  const rows: GroupStatusRow[] = [];
  for (const key of await spool.groupKeys()) {
    const paths = spool.group(key);
    const instances = (await instanceUids(paths.instances)).length;
    let state: GroupState | undefined;
    try {
      state = await readGroupState(paths.state);
    } catch (e) {
      const error = isBerthError(e) ? e.message : String(e);
      rows.push({ key, status: 'unreadable', instances, runs: 0, delivered: 0, destinations: 0, error });
      continue;
    }
    const run = state ? lastRun(state) : undefined;
    rows.push({
      key,
      status: state?.status ?? 'received',
      instances,
      runs: state?.runs.length ?? 0,
      ...(run?.outcome ? { lastOutcome: run.outcome } : {}),
      delivered: run?.deliveries.filter((d) => d.status === 'delivered').length ?? 0,
      destinations: run?.deliveries.length ?? 0,
      ...(state ? { lastReceivedAt: state.lastReceivedAt } : {}),
      ...(run ? { runFolder: `groups/${key}/${run.folder}` } : {}),
      ...(state ? { state } : {}),
    });
  }
  return rows;
}

/** The rows as a text table, one group a line. */
export function statusTable(rows: readonly GroupStatusRow[]): string {
  if (rows.length === 0) return 'No groups in the spool.\n';
  const head = ['GROUP', 'STATUS', 'INSTANCES', 'RUNS', 'OUTCOME', 'DELIVERED', 'LAST RECEIVED'];
  const body = rows.map((r) => [
    r.key,
    r.status,
    String(r.instances),
    String(r.runs),
    r.lastOutcome ?? '-',
    r.destinations === 0 ? '-' : `${r.delivered}/${r.destinations}`,
    r.lastReceivedAt ?? '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}
