import type { RunStatus } from '@autocoder/contracts';

/**
 * What a session asks of its run between steps: carry on, wait (paused: after the current tool call),
 * or stop (the signal aborts a running command or model call at once).
 */
export interface RunControls {
  readonly signal: AbortSignal;
  status(): Promise<RunStatus>;
  /** Resolves once the run is running again (true) or has ended (false). */
  waitWhilePaused(): Promise<boolean>;
}
