import type { EventBatchHandler, EventFilter, EventSubscription, ReadAllOptions, RecordedEvent } from './event-store';

export interface Wakeable {
  /** Resolves when new events may be there, or after `ms`, whichever comes first. */
  waitForEvents(ms: number): Promise<void>;
}

/**
 * Follows the global order by reading pages after the last handled position. Correct for any
 * store whose positions become visible in increasing order (the Postgres store guarantees it).
 */
export class PollingSubscription implements EventSubscription {
  private stopped = false;
  private lastPosition: number | null;
  readonly done: Promise<void>;

  constructor(
    private readonly readAll: (options: ReadAllOptions) => Promise<RecordedEvent[]>,
    private readonly wake: Wakeable,
    after: number | null,
    private readonly handler: EventBatchHandler,
    private readonly batchSize = 500,
    private readonly idlePollMs = 250,
    private readonly filter?: EventFilter,
  ) {
    this.lastPosition = after;
    this.done = this.run();
    // A rejected `done` that nobody awaits must not crash the process.
    this.done.catch(() => undefined);
  }

  get position() {
    return this.lastPosition;
  }

  async stop() {
    this.stopped = true;
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    let readFailures = 0;
    while (!this.stopped) {
      let batch: RecordedEvent[];
      try {
        batch = await this.readAll({ after: this.lastPosition, maxCount: this.batchSize, filter: this.filter });
        readFailures = 0;
      } catch (error) {
        if (this.stopped) return;
        // The store may be restarting: back off and keep the position, never skip ahead.
        readFailures++;
        if (readFailures > 20) throw error;
        await delay(Math.min(100 * 2 ** readFailures, 5000));
        continue;
      }
      if (this.stopped) return;
      if (batch.length === 0) {
        await this.wake.waitForEvents(this.idlePollMs);
        continue;
      }
      await this.handler(batch);
      this.lastPosition = batch[batch.length - 1].position;
    }
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
