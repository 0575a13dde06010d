import type { RunStatus } from '@autocoder/contracts';

/**
 * What a session asks of its run between steps: carry on, wait (paused: after the current tool call),
 * or stop (the signal aborts a running command or model call at once).
 */
export interface RunControls {
  readonly signal: AbortSignal;
  /** The process is shutting down: leave the session as recorded, for whoever drives the run next. */
  readonly halting: boolean;
  status(): Promise<RunStatus>;
  /** Resolves once the run is running again (true) or has ended (false). */
  waitWhilePaused(): Promise<boolean>;
  /** Pauses the run (a budget refused the next call): the session stays open and continues when resumed. */
  pause(reason: string): Promise<void>;
}

/** Thrown out of a session when the process shuts down: nothing more is recorded for it. */
export class DriverHalted extends Error {
  constructor() {
    super('the runner is shutting down');
    this.name = 'DriverHalted';
  }
}
