import { randomUUID } from 'node:crypto';
import { ServiceNames, serviceSubjects, type Actor, type ProcessorStatus, type RebuildProjectionsResult } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { currentCorrelationId } from '@autocoder/platform';
import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../tokens';

/** A rebuild replays the whole store; it is given as long as a rebuild may take, not the bus default. */
export const REBUILD_TIMEOUT_MS = 15 * 60_000;

/** Asks every service, one after the other, about its projectors and reactors. */
@Injectable()
export class ServicesClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  async rebuildProjections(actor: Actor, commandId?: string | null): Promise<RebuildProjectionsResult> {
    const id = commandId ?? randomUUID();
    const projections: RebuildProjectionsResult['projections'] = [];
    for (const service of ServiceNames) {
      const result = await this.bus.request<RebuildProjectionsResult>(
        serviceSubjects(service).rebuildProjections,
        { commandId: id, correlationId: currentCorrelationId() ?? randomUUID(), actor, payload: {} },
        REBUILD_TIMEOUT_MS,
      );
      projections.push(...result.projections);
    }
    return { projections };
  }

  async processorStatus(actor: Actor): Promise<ProcessorStatus[]> {
    const all = await Promise.all(
      ServiceNames.map((service) =>
        this.bus.request<ProcessorStatus[]>(serviceSubjects(service).processorStatus, { correlationId: currentCorrelationId() ?? randomUUID(), actor, payload: {} }),
      ),
    );
    return all.flat();
  }
}
