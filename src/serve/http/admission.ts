/**
 * Bounded concurrency with a bounded queue. A request is *admitted* before its body is read
 * (so a busy gateway refuses it at once, without buffering a large upload), then waits for one
 * of `concurrency` run slots. At most `concurrency + queue` requests are admitted at a time;
 * beyond that {@link Admission.admit} returns undefined and the caller answers 429.
 */
export class Admission {
  private admitted = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  /** Requests admitted (running, waiting for a slot, or still uploading). */
  get size(): number {
    return this.admitted;
  }

  /** Runs in progress. */
  get active(): number {
    return this.running;
  }

  /** A ticket for one request, or undefined when every slot and queue place is taken. */
  admit(): Ticket | undefined {
    if (this.admitted >= this.concurrency + this.queue) return undefined;
    this.admitted++;
    return new Ticket(this);
  }

  /** @internal Called by tickets. */
  acquireSlot(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        resolve(true);
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(wake);
    });
  }

  /** @internal Called by tickets. */
  releaseSlot(): void {
    this.running--;
    // The slot passes straight to the longest waiter, so nobody can overtake the queue.
    const next = this.waiting.shift();
    next?.();
  }

  /** @internal Called by tickets. */
  leave(): void {
    this.admitted--;
  }
}

/** One admitted request: it may take a run slot once, and must be released once (idempotent). */
export class Ticket {
  private slot = false;
  private released = false;

  constructor(private readonly owner: Admission) {}

  /**
   * Waits for a run slot, in arrival order. Resolves false (and takes nothing) when `signal`
   * aborts first, e.g. because the client went away while queued.
   */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (this.released || this.slot) return this.slot;
    this.slot = await this.owner.acquireSlot(signal);
    if (this.slot && this.released) this.releaseSlotOnly();
    return this.slot;
  }

  /** Frees the run slot early, while the ticket itself stays admitted (e.g. during encoding). */
  releaseSlotOnly(): void {
    if (!this.slot) return;
    this.slot = false;
    this.owner.releaseSlot();
  }

  /** Frees the slot (if held) and the admission. Safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.releaseSlotOnly();
    this.owner.leave();
  }
}
