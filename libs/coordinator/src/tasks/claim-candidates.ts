import type { DataSource } from 'typeorm';

/** Candidates a read of the read model fetches beyond one per request that may share it. */
const SPARE = 16;

interface Page {
  taskIds: string[];
  /** The read returned as many rows as it asked for: more ready tasks may follow. */
  full: boolean;
}

/**
 * Hands the claim-next requests of this instance the ready tasks to try, best first (priority,
 * then age, then id; dependencies done), each request its own. The read model names the ready
 * tasks; this remembers what it cannot show yet: the tasks a request here is claiming right now,
 * and the tasks claimed here whose claim the read model has not projected. Claims are still
 * decided on each task's stream: what is kept here only keeps concurrent requests from all trying
 * the same task.
 *
 * Concurrent requests share one read: a request that finds a read in flight waits for it, and
 * each then takes the best task in it that nobody here has taken (one read per request would have
 * every request find its candidates taken by the others by the time its read is back). A request
 * never uses a read that had finished before it asked, so what it sees is never older than the one
 * read that was running when it came.
 */
export class ClaimCandidates {
  /** Tasks a request of this instance is claiming right now, and how many requests. */
  private readonly claiming = new Map<string, number>();
  /** Tasks this instance claimed, with the claim's global position, until the read model shows them. */
  private readonly claimedHere = new Map<string, number>();
  /** The read in flight for each set of specializations and project, which requests arriving now join. */
  private readonly reads = new Map<string, Promise<Page>>();
  /** Requests looking for a candidate or claiming one: how many a read may have to serve. */
  private active = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    /** How far the tasks read model has got (global position). */
    private readonly projectedPosition: () => number | null,
  ) {}

  /**
   * The best ready task for these specializations that `tried` does not name and that nobody here
   * is claiming, taken for the caller (hand it back with `done`). When every ready task is being
   * claimed here, one of those (its claim may fail). Null only when no task outside `tried` is ready.
   */
  async next(codes: string[], projectId: string | undefined, tried: ReadonlySet<string>): Promise<string | null> {
    this.active++;
    try {
      for (;;) {
        const page = await this.shared(codes, projectId);
        const free = page.taskIds.find((taskId) => !tried.has(taskId) && this.isFree(taskId));
        if (free) return this.take(free);
        if (!page.full) break; // every ready task is taken here
      }
      const [contended] = await this.ready(codes, projectId, [...tried], 1);
      return contended ? this.take(contended) : null;
    } finally {
      this.active--;
    }
  }

  /** The request is done with the task; `position`, when it claimed it, keeps it skipped until projected. */
  done(taskId: string, position: number | null) {
    const holders = (this.claiming.get(taskId) ?? 1) - 1;
    if (holders > 0) this.claiming.set(taskId, holders);
    else this.claiming.delete(taskId);
    if (position !== null) this.claimedHere.set(taskId, position);
  }

  /** A task claimed here (by id), skipped by claim-next until the read model shows it. */
  claimed(taskId: string, position: number | null) {
    if (position !== null) this.claimedHere.set(taskId, position);
  }

  /** A request here starts claiming the task. */
  take(taskId: string): string {
    this.claiming.set(taskId, (this.claiming.get(taskId) ?? 0) + 1);
    return taskId;
  }

  private isFree(taskId: string): boolean {
    return !this.claiming.has(taskId) && !this.claimedHere.has(taskId);
  }

  /** Joins the read in flight for this key, or starts one sized for every request that may join it. */
  private shared(codes: string[], projectId: string | undefined): Promise<Page> {
    const key = `${[...codes].sort().join(',')}|${projectId ?? ''}`;
    const inFlight = this.reads.get(key);
    if (inFlight) return inFlight;
    const limit = this.active + SPARE;
    const read = this.ready(codes, projectId, [...this.claiming.keys(), ...this.notYetProjected()], limit)
      .then((taskIds) => ({ taskIds, full: taskIds.length === limit }))
      .finally(() => this.reads.delete(key));
    this.reads.set(key, read);
    return read;
  }

  private notYetProjected(): string[] {
    const projected = this.projectedPosition() ?? -1;
    for (const [taskId, position] of this.claimedHere) if (position <= projected) this.claimedHere.delete(taskId);
    return [...this.claimedHere.keys()];
  }

  /** One ordered index read per specialization (tasks_ready_in_claim_order), merged. */
  private async ready(codes: string[], projectId: string | undefined, excluded: string[], limit: number): Promise<string[]> {
    const s = this.schema;
    const rows: { task_id: string }[] = await this.dataSource.query(
      `SELECT t.task_id FROM unnest($1::text[]) AS c(code)
        CROSS JOIN LATERAL (
          SELECT t.task_id, t.priority, t.created_at FROM ${s}.tasks t
           WHERE t.status = 'ready' AND t.required_specialization_code = c.code
             AND ($2::uuid IS NULL OR t.project_id = $2::uuid)
             AND t.task_id <> ALL($3::uuid[])
             AND NOT EXISTS (SELECT 1 FROM unnest(t.depends_on) AS d(id) LEFT JOIN ${s}.tasks x ON x.task_id = d.id
                              WHERE x.status IS DISTINCT FROM 'done')
           ORDER BY t.priority, t.created_at, t.task_id
           LIMIT $4) t
        ORDER BY t.priority, t.created_at, t.task_id
        LIMIT $4`,
      [codes, projectId ?? null, excluded, limit],
    );
    return rows.map((r) => r.task_id);
  }
}
