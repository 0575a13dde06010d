import { randomUUID } from 'node:crypto';
import { serviceSubjects, type CommandEnvelope, type ProcessorStatus, type RebuildProjectionsResult, type ServiceName } from '@autocoder/contracts';
import type { CommandLog } from '@autocoder/messaging';
import { rebuildAll, type Projector } from '@autocoder/projections';
import type { Reactor } from '@autocoder/reactors';

/**
 * A service's projectors (read models: rebuilt from event zero on request) and reactors (side effects:
 * never rebuilt, so never repeated). Started after the service's migrations, stopped before its
 * DataSource closes.
 */
export class EventProcessors {
  constructor(
    readonly service: ServiceName,
    /** In the order they are rebuilt. */
    readonly projectors: readonly Projector<unknown>[],
    readonly reactors: readonly Reactor<never>[] = [],
    /** The service's command log: a rebuild is a command, so a retry with its id is not a second rebuild. */
    private readonly commands?: CommandLog,
  ) {}

  async start() {
    for (const projector of this.projectors) await projector.start();
    for (const reactor of this.reactors) await reactor.start();
  }

  async stop() {
    for (const reactor of this.reactors) await reactor.stop();
    for (const projector of this.projectors) await projector.stop();
  }

  /**
   * Empties every read model and replays the store into it (rebuildAll: each projector locks its
   * checkpoint first, so an instance mid-batch cannot leave rows to be applied twice); reactors are
   * left alone. Run through the command log when there is one: a retry with the same command id, on
   * any instance, gets the first answer. The other instances notice the checkpoints moved back.
   */
  async rebuildProjections(envelope?: CommandEnvelope): Promise<RebuildProjectionsResult> {
    const rebuild = async () => ({ value: { projections: await rebuildAll(this.projectors) } });
    if (!this.commands) return (await rebuild()).value;
    const command: CommandEnvelope = envelope ?? { commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'system', name: this.service }, payload: {} };
    return this.commands.run(serviceSubjects(this.service).rebuildProjections, command, rebuild);
  }

  status(): ProcessorStatus[] {
    return [
      ...this.projectors.map((p): ProcessorStatus => ({ service: this.service, kind: 'projection', ...p.status })),
      ...this.reactors.map((r): ProcessorStatus => ({ service: this.service, kind: 'reactor', ...r.status })),
    ];
  }
}
