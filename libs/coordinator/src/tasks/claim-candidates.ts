import type { DataSource } from 'typeorm';

/** Candidates one read of the read model hands out; concurrent requests each take the first one still free. */
const PAGE = 16;

/**
 * Which ready tasks the claim-next requests of this instance should try, best first (priority,
 * then age, then id; dependencies done). The read model names the ready tasks; this remembers what
 * it cannot show yet: the tasks a request here is claiming right now, and the tasks claimed here
 * whose claim the read model has not projected. Claims are still decided on each task's stream:
 * what is kept here only keeps concurrent requests from all trying the same task.
 */
export class ClaimCandidates {
  /** Tasks a request of this instance is claiming right now, and how many requests. */
  private readonly claiming = new Map<string, number>();
  /** Tasks this instance claimed, with the claim's global position, until the read model shows them. */
  private readonly claimedHere = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    /** How far the tasks read model has got (global position). */
    private readonly projectedPosition: () => number | null,
  ) {}

  /**
   * The best ready tasks for these specializations that nobody here is claiming (`free`) and that
   * `tried` does not name; when every ready task is being claimed here, those too (their claims may
   * fail). Empty only when no task outside `tried` is ready.
   */
  async best(codes: string[], projectId: string | undefined, tried: ReadonlySet<string>): Promise<{ taskIds: string[]; free: boolean }> {
    const free = await this.ready(codes, projectId, [...tried, ...this.claiming.keys(), ...this.notYetProjected()]);
    if (free.length) return { taskIds: free, free: true };
    return { taskIds: await this.ready(codes, projectId, [...tried]), free: false };
  }

  /** Nobody here is claiming it, nor has claimed it without the read model showing it yet. */
  isFree(taskId: string): boolean {
    return !this.claiming.has(taskId) && !this.claimedHere.has(taskId);
  }

  /** A request here starts claiming the task. */
  take(taskId: string) {
    this.claiming.set(taskId, (this.claiming.get(taskId) ?? 0) + 1);
  }

  /** The request is done with the task; `position`, when it claimed it, keeps it skipped until projected. */
  done(taskId: string, position: number | null) {
    const holders = (this.claiming.get(taskId) ?? 1) - 1;
    if (holders > 0) this.claiming.set(taskId, holders);
    else this.claiming.delete(taskId);
    if (position !== null) this.claimedHere.set(taskId, position);
  }

  private notYetProjected(): string[] {
    const projected = this.projectedPosition() ?? -1;
    for (const [taskId, position] of this.claimedHere) if (position <= projected) this.claimedHere.delete(taskId);
    return [...this.claimedHere.keys()];
  }

  /** One ordered index read per specialization (tasks_ready_in_claim_order), merged. */
  private async ready(codes: string[], projectId: string | undefined, excluded: string[]): Promise<string[]> {
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
      [codes, projectId ?? null, excluded, PAGE],
    );
    return rows.map((r) => r.task_id);
  }
}
