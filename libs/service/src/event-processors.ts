import type { ProcessorStatus, RebuildProjectionsResult, ServiceName } from '@autocoder/contracts';
import type { Projector } from '@autocoder/projections';
import type { Reactor } from '@autocoder/reactors';
import type { DataSource } from 'typeorm';

/**
 * A service's projectors (read models: rebuilt from event zero on request) and reactors (side effects:
 * never rebuilt, so never repeated). Started after the service's migrations, stopped before its
 * DataSource closes.
 */
export class EventProcessors {
  constructor(
    readonly service: ServiceName,
    private readonly dataSource: DataSource,
    /** In the order they are rebuilt. */
    readonly projectors: readonly Projector<unknown>[],
    readonly reactors: readonly Reactor<never>[] = [],
  ) {}

  async start() {
    for (const projector of this.projectors) await projector.start();
    for (const reactor of this.reactors) await reactor.start();
  }

  async stop() {
    for (const reactor of this.reactors) await reactor.stop();
    for (const projector of this.projectors) await projector.stop();
  }

  /** Empties every read model and replays the store into it; reactors are left alone. */
  async rebuildProjections(): Promise<RebuildProjectionsResult> {
    const projections: RebuildProjectionsResult['projections'] = [];
    for (const projector of this.projectors) {
      const { eventsReplayed } = await projector.rebuild();
      let rows = 0;
      for (const table of projector.tables) rows += (await this.dataSource.query(`SELECT count(*)::int AS count FROM ${table}`))[0].count;
      projections.push({ name: projector.name, eventsReplayed, rows });
    }
    return { projections };
  }

  status(): ProcessorStatus[] {
    return [
      ...this.projectors.map(
        (p): ProcessorStatus => ({ service: this.service, name: p.name, kind: 'projection', state: 'running', position: p.checkpoint, failing: null }),
      ),
      ...this.reactors.map((r): ProcessorStatus => ({ service: this.service, kind: 'reactor', ...r.status })),
    ];
  }
}
