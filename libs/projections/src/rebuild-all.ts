import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import type { Projector, RebuildReport } from './projector';

/**
 * Rebuilds projectors one after the other (each replays every event of its types from zero), so a
 * context rebuilds all it owns with one call. One that fails (it stops on a poison event) does not
 * keep the others from being rebuilt; the call then fails naming it. Instances of the service that
 * are not doing the rebuild notice the checkpoints moved back on their next batch and follow again.
 */
export async function rebuildAll(projectors: readonly Projector<unknown>[]): Promise<RebuildReport[]> {
  const reports: RebuildReport[] = [];
  const failures: string[] = [];
  for (const projector of projectors) {
    try {
      reports.push(await projector.rebuild());
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (failures.length) {
    const rebuilt = reports.map((r) => r.name).join(', ') || 'none';
    throw new AutocoderError(ErrorCodes.Internal, `rebuild incomplete: ${failures.join('; ')} (rebuilt: ${rebuilt})`);
  }
  return reports;
}
