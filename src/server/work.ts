/**
 * Requests still being served, settled or audited. Shutdown waits for them after the
 * connections close, so the counter store and the audit log are closed only once every
 * request's spend is charged and its event recorded, including requests cut at the end
 * of the grace period.
 */
export class Work {
  private n = 0;
  private waiters: (() => void)[] = [];

  begin(): void {
    this.n++;
  }

  end(): void {
    if (--this.n > 0 || this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const done of waiting) done();
  }

  get count(): number {
    return this.n;
  }

  /** Resolves true once nothing is left, or false when `ms` pass first. */
  idle(ms: number): Promise<boolean> {
    if (this.n === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }
}
