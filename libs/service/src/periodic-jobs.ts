import type { Logger } from '@autocoder/platform';

/** Work a service repeats on a timer (sweeps): never two runs of one job at once; failures logged and retried. */
export class PeriodicJobs {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly logger: Logger) {}

  every(ms: number, what: string, work: () => Promise<unknown>) {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .catch((error) => this.logger.warn({ err: error }, `${what} failed; will retry`))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  stop() {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
