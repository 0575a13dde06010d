import { RequestTimeoutsMs, Subjects } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { CoordinatorClient } from '../src/coordinator-client';

/** A bus that records what it is asked and answers at once. */
const recordingBus = () => {
  const requests: { subject: string; envelope: any; timeoutMs?: number }[] = [];
  const bus: MessageBus = {
    request: async <T>(subject: string, envelope: any, timeoutMs?: number) => (requests.push({ subject, envelope, timeoutMs }), { projections: [] } as T),
    publish: () => undefined,
    subscribe: () => () => undefined,
    close: async () => undefined,
  };
  return { bus, requests };
};

describe('CoordinatorClient', () => {
  it('sends a rebuild as a command that waits as long as a rebuild may take, not the default 10 s', async () => {
    const { bus, requests } = recordingBus();
    const commandId = '3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
    await new CoordinatorClient(bus).rebuildProjections({ kind: 'admin' }, commandId);
    expect(requests).toEqual([{ subject: Subjects.coordinator.rebuildProjections, envelope: expect.objectContaining({ commandId, payload: {} }), timeoutMs: RequestTimeoutsMs.rebuildProjections }]);
    expect(RequestTimeoutsMs.rebuildProjections).toBeGreaterThanOrEqual(10 * 60_000);
  });
});
