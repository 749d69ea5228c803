import { readFile, readdir } from 'node:fs/promises';

/** Clock ticks per second of /proc times (USER_HZ; 100 on every Linux berth targets). */
const TICKS_PER_SECOND = 100;

/** Extra samples soon after the start (ms), so a run shorter than the interval is still measured. */
const EARLY_SAMPLES_MS = [15, 40, 80, 140];

interface Sample {
  cpuTicks: number;
  hwmBytes: number;
}

/**
 * Samples CPU time and peak memory of a machine's processes from /proc while it runs. Node offers no
 * rusage of children, so this is a sample: CPU is exact up to the last sample (≤ interval before
 * exit), peak memory is the kernel's own high-water mark (VmHWM) of each process seen.
 */
export class UsageSampler {
  private readonly seen = new Map<number, Sample>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  /**
   * @param roots The machine's top processes: the process group leader for the process driver,
   *   the processes of the sandbox's or container's PID namespace otherwise. Their descendants are
   *   followed from there.
   */
  constructor(
    private readonly roots: () => Promise<number[]> | number[],
    private readonly intervalMs = 200,
  ) {}

  /** Samples taken after the one at start, that found at least one process. */
  private laterSamples = 0;
  private readonly early: NodeJS.Timeout[] = [];

  /** Starts sampling: at once, a few times early (short runs), then every interval. */
  start(): void {
    const tick = () => {
      this.running ??= this.sample()
        .then((found) => {
          if (found > 0) this.laterSamples++;
        })
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    for (const ms of EARLY_SAMPLES_MS) {
      if (ms < this.intervalMs) this.early.push(setTimeout(tick, ms).unref());
    }
    void this.sample();
  }

  /**
   * Stops sampling and returns the totals; null ("not sampled") when /proc is not there or no
   * sample after the start found the machine's processes — the one at start sees a process that
   * has barely begun, and would give a wrong figure rather than none.
   */
  async stop(): Promise<{ cpuMs: number | null; peakRssBytes: number | null }> {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.early) clearTimeout(t);
    await this.running;
    if (this.seen.size === 0 || this.laterSamples === 0) return { cpuMs: null, peakRssBytes: null };
    let ticks = 0;
    let hwm = 0;
    for (const s of this.seen.values()) {
      ticks += s.cpuTicks;
      hwm += s.hwmBytes;
    }
    return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, peakRssBytes: hwm };
  }

  /**
   * One sample of the group's processes. Rather than scanning all of /proc, it follows the
   * process tree from the leader (`/proc/PID/task/TID/children`), which costs a few reads per
   * process instead of hundreds — the sampler must not slow down the machine it measures.
   */
  async sample(): Promise<number> {
    let roots: number[];
    try {
      roots = await this.roots();
    } catch {
      roots = [];
    }
    const queue = [...roots];
    const visited = new Set<number>();
    let found = 0;
    while (queue.length > 0) {
      const pid = queue.pop()!;
      if (visited.has(pid)) continue;
      visited.add(pid);
      try {
        const [stat, status, tasks] = await Promise.all([
          readFile(`/proc/${pid}/stat`, 'latin1'),
          readFile(`/proc/${pid}/status`, 'latin1'),
          readdir(`/proc/${pid}/task`),
        ]);
        // The command name may hold spaces and parentheses: fields start after the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after the name).
        const cpuTicks = Number(fields[11]) + Number(fields[12]);
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        const hwmBytes = m ? Number(m[1]) * 1024 : 0;
        found++;
        const prev = this.seen.get(pid);
        this.seen.set(pid, {
          cpuTicks: Math.max(prev?.cpuTicks ?? 0, cpuTicks),
          hwmBytes: Math.max(prev?.hwmBytes ?? 0, hwmBytes),
        });
        for (const tid of tasks) {
          const children = await readFile(`/proc/${pid}/task/${tid}/children`, 'latin1').catch(() => '');
          for (const c of children.split(' ')) if (c.trim()) queue.push(Number(c));
        }
      } catch {
        // The process ended between two reads: its last sample stands.
      }
    }
    return found;
  }
}
