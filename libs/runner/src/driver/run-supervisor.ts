import type { Logger } from '@autocoder/platform';
import type { Pool, PoolClient } from 'pg';
import type { RunDriver } from './run-driver';

export interface RunSupervisorOptions {
  /** Runs the read model lists as running or paused. */
  activeRuns(): Promise<string[]>;
  driver(runId: string): RunDriver;
  /** A run taken up that no live driver held: recorded as recovered before it goes on. */
  recover(runId: string): Promise<void>;
  /** Session-level advisory locks, all on one connection: one driver per run across runner processes, freed when a process dies. */
  pool: Pool;
  logger: Logger;
  sweepMs?: number;
}

interface Driving {
  driver: RunDriver;
  done: Promise<void>;
}

const lockKey = (runId: string) => `autocoder.runner.run/${runId}`;

/**
 * Keeps one driver per active run. A run started here is driven at once; a sweep takes up any active
 * run no process drives (the runner that drove it died), so runs resume by themselves after a
 * restart. Which process drives a run is decided by a Postgres advisory lock held on a connection of
 * its own: it is released the moment that process dies, never by a timer.
 */
export class RunSupervisor {
  private readonly driving = new Map<string, Driving>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private sweeping = false;
  private locks: Promise<PoolClient> | null = null;
  /** The lock connection's queries, one at a time (pg no longer queues them on a client). */
  private lockQueue: Promise<unknown> = Promise.resolve();
  private releaseLocks: (() => void) | null = null;

  constructor(private readonly options: RunSupervisorOptions) {}

  start(): void {
    const tick = () => {
      void this.sweep().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.options.sweepMs ?? 1000);
      });
    };
    tick();
  }

  /** Drives a run that was just started or resumed here. */
  drive(runId: string): void {
    void this.take(runId, false);
  }

  get activeDrivers(): string[] {
    return [...this.driving.keys()];
  }

  private async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    try {
      for (const runId of await this.options.activeRuns()) {
        if (!this.driving.has(runId)) await this.take(runId, true);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'run sweep failed; trying again');
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * The one connection that holds every run lock of this process. A connection per run, held while it
   * ran, took the service's whole pool from the ninth concurrent run on: the read models, the command
   * log and every start then waited for a run to end. Session locks die with their connection, as before.
   */
  private lockClient(): Promise<PoolClient> {
    this.locks ??= this.options.pool.connect().then(
      (client) => {
        const failed = (error: Error) => {
          this.options.logger.warn({ err: error }, 'the run lock connection failed; the next run takes a new one');
          client.off('error', failed);
          this.locks = null;
          this.releaseLocks = null;
          client.release(error);
        };
        client.on('error', failed);
        this.releaseLocks = () => (client.off('error', failed), client.release());
        return client;
      },
      (error: unknown) => {
        this.locks = null;
        throw error;
      },
    );
    return this.locks;
  }

  private lockQuery(client: PoolClient, sql: string, runId: string) {
    const result = this.lockQueue.then(() => client.query<{ locked: boolean }>(sql, [lockKey(runId)]));
    this.lockQueue = result.catch(() => undefined);
    return result;
  }

  private async take(runId: string, recovered: boolean): Promise<void> {
    if (this.driving.has(runId) || this.stopped) return;
    const placeholder: Driving = { driver: null as never, done: Promise.resolve() };
    this.driving.set(runId, placeholder);
    let client: PoolClient;
    try {
      client = await this.lockClient();
      const { rows } = await this.lockQuery(client, 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', runId);
      if (!rows[0].locked) {
        this.driving.delete(runId);
        return;
      }
    } catch (error) {
      this.driving.delete(runId);
      this.options.logger.warn({ err: error, runId }, 'could not lock the run; trying at the next sweep');
      return;
    }
    const driver = this.options.driver(runId);
    const held = client;
    const done = (async () => {
      try {
        if (recovered) await this.options.recover(runId);
        await driver.drive();
      } catch (error) {
        this.options.logger.error({ err: error, runId }, 'run driver failed; the next sweep takes the run up again');
      } finally {
        await this.lockQuery(held, 'SELECT pg_advisory_unlock(hashtextextended($1, 0))', runId).catch(() => undefined);
        this.driving.delete(runId);
      }
    })();
    this.driving.set(runId, { driver, done });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const { driver } of this.driving.values()) driver?.halt();
    await Promise.all([...this.driving.values()].map((d) => d.done));
    await this.locks?.catch(() => undefined);
    this.locks = null;
    this.releaseLocks?.();
    this.releaseLocks = null;
  }
}
