import type { RunTimelineEntry, RunView } from '@autocoder/contracts';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RunnerClient } from './runner-client';

type Wake = (runId: string) => void;

/**
 * One bus subscription per gateway process for the runner's timeline and run notifications, fanned
 * out to the open streams by run and by project. A notification only wakes a stream, which then
 * pages the timeline query from its own position: nothing is lost or reordered when one is dropped.
 */
@Injectable()
export class RunTimelineWatch implements OnModuleDestroy {
  private readonly byRun = new Map<string, Set<Wake>>();
  private readonly byProject = new Map<string, Set<Wake>>();
  private readonly unsubscribe: (() => void)[];

  constructor(client: RunnerClient) {
    this.unsubscribe = [
      client.onRunTimeline((entry: RunTimelineEntry) => this.wake(entry?.runId, entry?.projectId)),
      client.onRunUpdated((run: RunView) => this.wake(run?.runId, run?.projectId)),
    ];
  }

  /** Calls `wake` when anything new may be in the run's timeline; returns the way to stop. */
  watchRun(runId: string, wake: Wake) {
    return add(this.byRun, runId, wake);
  }

  /** Calls `wake(runId)` for every run of the project, new runs included. */
  watchProject(projectId: string, wake: Wake) {
    return add(this.byProject, projectId, wake);
  }

  private wake(runId: unknown, projectId: unknown) {
    if (typeof runId !== 'string') return;
    for (const wake of this.byRun.get(runId) ?? []) wake(runId);
    if (typeof projectId === 'string') for (const wake of this.byProject.get(projectId) ?? []) wake(runId);
  }

  onModuleDestroy() {
    for (const stop of this.unsubscribe) stop();
  }
}

function add(map: Map<string, Set<Wake>>, key: string, wake: Wake) {
  const set = map.get(key) ?? new Set();
  set.add(wake);
  map.set(key, set);
  return () => {
    set.delete(wake);
    if (!set.size) map.delete(key);
  };
}
