import { isTransientError, type Actor, type RunTimelineEntry, type RunTimelinePage } from '@autocoder/contracts';
import type { RunnerClient } from './runner-client';

/** How a stream follows a run: pages of the timeline query, woken by notifications, with a slow poll as a backstop. */
export const RUN_STREAM = { pageSize: 500, pollMs: 5_000, heartbeatMs: 15_000 } as const;

export interface FollowOptions {
  client: RunnerClient;
  actor: Actor;
  runId: string;
  /** Deliver entries with a greater sequence number only. */
  after: number;
  /** Called for each entry in order; a returned promise is awaited (back pressure). */
  deliver: (entry: RunTimelineEntry) => unknown;
  pollMs?: number;
}

/**
 * Follows one run's timeline from a position: pages it until it is read to the end, then waits for
 * `wake()` (a notification) or the poll and reads on. Resolves when the run has ended and everything
 * was delivered, or when stopped; a runner that is briefly unavailable is asked again at the next poll.
 */
export class RunTimelineFollower {
  private after: number;
  private stopped = false;
  private woken = false;
  private waiting?: () => void;
  readonly done: Promise<void>;

  constructor(private readonly options: FollowOptions) {
    this.after = options.after;
    this.done = this.loop();
  }

  get position() {
    return this.after;
  }

  wake() {
    this.woken = true;
    this.waiting?.();
  }

  stop() {
    this.stopped = true;
    this.waiting?.();
  }

  private async loop(): Promise<void> {
    const { client, actor, runId, deliver } = this.options;
    while (!this.stopped) {
      this.woken = false;
      let page: RunTimelinePage;
      try {
        page = await client.timeline(actor, { runId, after: this.after, limit: RUN_STREAM.pageSize });
      } catch (error) {
        if (!isTransientError(error)) throw error;
        await this.sleep();
        continue;
      }
      for (const entry of page.entries) {
        if (this.stopped) return;
        if (entry.seq <= this.after) continue;
        await deliver(entry);
        this.after = entry.seq;
      }
      if (page.entries.length >= RUN_STREAM.pageSize) continue;
      if (page.finished) return;
      if (!this.woken) await this.sleep();
    }
  }

  private sleep() {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.options.pollMs ?? RUN_STREAM.pollMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiting = () => {
        this.waiting = undefined;
        done();
      };
    });
  }
}
