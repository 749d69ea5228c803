/**
 * The progress of runs, kept per run id for server-sent events. A client may subscribe before it
 * posts (the run id is its own, sent in `X-Berth-Run-Id`), while the run goes on, or after it
 * ended (within the retention time): every subscriber gets the events so far, then the live
 * ones, and the terminal event last — whenever it connected.
 *
 * Bounded everywhere: a finished run is kept `retentionMs` and at most `maxFinished` of them
 * (oldest dropped first); a run id subscribed to but never posted waits `retentionMs`, then its
 * subscribers get `expired`; at most `maxPending` such ids exist at once, and one is forgotten as
 * soon as its last subscriber leaves (so throw-away subscriptions hold no slot); a refused post
 * nobody subscribed to leaves nothing behind; consecutive `status` (or `rejected`) events are kept
 * as the last one only (live subscribers still see each).
 */

/**
 * Event names on the stream. `outcome`, `expired` and `shutdown` are terminal; `rejected` says a
 * post with this id was refused before its run (429, 413, 503): the id is free to post again.
 */
export type RunEventName = 'stage' | 'status' | 'rejected' | 'outcome' | 'expired' | 'shutdown';

/** One event of a run, numbered from 1 within the run (the SSE `id`). */
export interface LoggedEvent {
  id: number;
  event: RunEventName;
  data: Record<string, unknown>;
}

/** Receives events; `end` is called after the terminal event or when the log is dropped. */
export interface RunSubscriber {
  send(e: LoggedEvent): void;
  end(): void;
}

/** Where a run id stands. */
export type RunState = 'pending' | 'active' | 'finished';

interface Entry {
  id: string;
  state: RunState;
  events: LoggedEvent[];
  next: number;
  subscribers: Set<RunSubscriber>;
  timer?: NodeJS.Timeout;
}

/** Limits of a {@link RunLog}. */
export interface RunLogOptions {
  /** How long finished runs (and never-posted subscriptions) are kept. Default 5 minutes. */
  retentionMs?: number;
  /** Finished runs kept at most. Default 1000. */
  maxFinished?: number;
  /** Run ids subscribed to but not yet posted, at most. Default 1000. */
  maxPending?: number;
}

const TERMINAL: ReadonlySet<RunEventName> = new Set(['outcome', 'expired', 'shutdown']);
const COALESCED: ReadonlySet<RunEventName> = new Set(['status', 'rejected']);

/** The event logs of all runs the gateway knows. */
export class RunLog {
  private readonly entries = new Map<string, Entry>();
  private readonly retentionMs: number;
  private readonly maxFinished: number;
  private readonly maxPending: number;

  constructor(options: RunLogOptions = {}) {
    this.retentionMs = options.retentionMs ?? 5 * 60_000;
    this.maxFinished = options.maxFinished ?? 1000;
    this.maxPending = options.maxPending ?? 1000;
  }

  /** The state of a run id, or undefined when unknown (never seen, or dropped). */
  stateOf(id: string): RunState | undefined {
    return this.entries.get(id)?.state;
  }

  /**
   * Starts the log of a posted run. False when the id already belongs to a posted run (active or
   * finished and still kept): ids name one run only, or subscribers would see two outcomes.
   */
  begin(id: string): boolean {
    const found = this.entries.get(id);
    if (found && found.state !== 'pending') return false;
    const entry = found ?? this.create(id);
    clearTimeout(entry.timer);
    delete entry.timer;
    entry.state = 'active';
    return true;
  }

  /** Adds an event to an active run; a terminal event finishes it. */
  publish(id: string, event: RunEventName, data: Record<string, unknown>): void {
    const entry = this.entries.get(id);
    if (!entry || entry.state !== 'active') return;
    this.append(entry, event, data);
    if (TERMINAL.has(event)) this.finish(entry);
  }

  /**
   * Records that a post with this id was refused before its run started, and frees the id for a
   * retry: the log goes back to waiting (and expires like any id never posted).
   */
  reject(id: string, data: Record<string, unknown>): void {
    const entry = this.entries.get(id);
    if (!entry || entry.state !== 'active') return;
    this.append(entry, 'rejected', data);
    // Nobody waits for this id: the post's own answer said it all, and it must not hold a slot.
    if (entry.subscribers.size === 0) {
      this.entries.delete(id);
      return;
    }
    entry.state = 'pending';
    entry.timer = setTimeout(() => this.expire(id), this.retentionMs).unref();
  }

  /** True when a subscription to this id would be taken (known id, or room for one more waiting). */
  accepts(id: string): boolean {
    return this.entries.has(id) || this.count('pending') < this.maxPending;
  }

  /**
   * Subscribes to a run: replays its events after `lastEventId` (SSE resumption), then sends the
   * live ones. Returns the unsubscribe function, or undefined when no more ids can wait.
   */
  subscribe(id: string, subscriber: RunSubscriber, lastEventId = 0): (() => void) | undefined {
    let entry = this.entries.get(id);
    if (!entry) {
      if (this.count('pending') >= this.maxPending) return undefined;
      entry = this.create(id);
      entry.timer = setTimeout(() => this.expire(id), this.retentionMs).unref();
    }
    for (const e of entry.events) if (e.id > lastEventId) subscriber.send(e);
    if (entry.state === 'finished') {
      subscriber.end();
      return () => undefined;
    }
    const live = entry;
    live.subscribers.add(subscriber);
    return () => {
      live.subscribers.delete(subscriber);
      // A waiting id nobody subscribes to any more frees its slot now, not after the retention.
      if (live.state === 'pending' && live.subscribers.size === 0 && this.entries.get(id) === live) {
        clearTimeout(live.timer);
        this.entries.delete(id);
      }
    };
  }

  /** Ends every stream with a `shutdown` event and forgets everything (gateway closing). */
  close(): void {
    for (const entry of this.entries.values()) {
      clearTimeout(entry.timer);
      const logged: LoggedEvent = { id: entry.next++, event: 'shutdown', data: { runId: entry.id } };
      for (const s of entry.subscribers) {
        if (entry.state !== 'finished') s.send(logged);
        s.end();
      }
      entry.subscribers.clear();
    }
    this.entries.clear();
  }

  /** Sends an event and keeps it for replay; a repeated status or rejection replaces the last one. */
  private append(entry: Entry, event: RunEventName, data: Record<string, unknown>): void {
    const logged: LoggedEvent = { id: entry.next++, event, data };
    const last = entry.events[entry.events.length - 1];
    if (COALESCED.has(event) && last?.event === event) entry.events[entry.events.length - 1] = logged;
    else entry.events.push(logged);
    for (const s of entry.subscribers) s.send(logged);
  }

  private create(id: string): Entry {
    const entry: Entry = { id, state: 'pending', events: [], next: 1, subscribers: new Set() };
    this.entries.set(id, entry);
    return entry;
  }

  private finish(entry: Entry): void {
    entry.state = 'finished';
    for (const s of entry.subscribers) s.end();
    entry.subscribers.clear();
    entry.timer = setTimeout(() => this.entries.delete(entry.id), this.retentionMs).unref();
    // Map iteration is insertion order, so the first finished entries are the oldest ones.
    let excess = this.count('finished') - this.maxFinished;
    for (const e of this.entries.values()) {
      if (excess <= 0) break;
      if (e.state !== 'finished') continue;
      clearTimeout(e.timer);
      this.entries.delete(e.id);
      excess--;
    }
  }

  private expire(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.state !== 'pending') return;
    const logged: LoggedEvent = { id: entry.next++, event: 'expired', data: { runId: id } };
    for (const s of entry.subscribers) {
      s.send(logged);
      s.end();
    }
    this.entries.delete(id);
  }

  private count(state: RunState): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === state) n++;
    return n;
  }
}
