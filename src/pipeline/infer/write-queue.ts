// At most `max` write tasks in flight: push() waits for room, so the producer slows down rather than queueing
// without bound; the first failure is rethrown by the next push() or by drain().
export class WriteQueue {
  private readonly inflight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly max: number) {}

  async push(task: () => Promise<void>): Promise<void> {
    while (this.inflight.size >= Math.max(1, this.max)) await Promise.race(this.inflight);
    this.rethrow();
    const p: Promise<void> = task().then(
      () => {
        this.inflight.delete(p);
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.inflight.delete(p);
      },
    );
    this.inflight.add(p);
  }

  /** Waits for every task; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    this.rethrow();
  }

  /** Waits for every task without throwing (cleanup after another error). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}
