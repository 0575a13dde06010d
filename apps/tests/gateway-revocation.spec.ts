import { randomUUID } from 'node:crypto';
import { describeWith } from '@autocoder/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { isolatedInstallation } from './src/isolated-installation';
import { poll, rest, startService, stopAllServices, type ServiceProcess } from './src/processes';

/**
 * Two gateway processes in front of one coordinator on NATS: a key rotated through one gateway must
 * stop working on the other one too, on its REST paths (whose verdicts it caches) and on its open
 * websockets, once the coordinator's agentUpdated notification reaches it.
 */
describeWith({ postgres: true, nats: true }, 'key rotation across gateway processes', () => {
  const installation = isolatedInstallation('revoke');
  let coordinator: ServiceProcess;
  let gatewayA: ServiceProcess;
  let gatewayB: ServiceProcess;

  afterAll(async () => {
    await stopAllServices('SIGTERM', 10_000);
    expect(await installation.remove()).toEqual([]);
  }, 40_000);

  it('closes the other gateway\'s sockets of the old key and refuses it there', async () => {
    [coordinator, gatewayA, gatewayB] = await Promise.all([
      startService('coordinator', { env: installation.env }),
      startService('gateway', { env: installation.env, label: 'gateway A' }),
      startService('gateway', { env: installation.env, label: 'gateway B' }),
    ]);
    void coordinator;
    const employeeId = randomUUID();
    const registration = { employee_id: employeeId, name: 'ROTATING', endpoint_url: null, specialization_codes: ['e2e'], capabilities: {}, owner_employee_id: null };
    const first = await rest(gatewayA.url, 'POST', '/api/coord/agents/register', installation.adminToken, registration);
    expect(first.status).toBe(200);
    const oldKey = first.body.api_key as string;
    // Gateway B knows the key now (a cached verdict) and holds a socket opened with it.
    expect((await rest(gatewayB.url, 'GET', '/api/coord/agents?limit=1', oldKey)).status).toBe(200);
    let closed: { code: number; reason: string } | undefined;
    const client = createClient({
      url: gatewayB.url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${oldKey}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
      on: { closed: (event: any) => (closed = { code: event?.code, reason: String(event?.reason ?? '') }) },
    });
    await new Promise<void>((resolve) => client.on('connected', () => resolve()));

    const rotatedAt = Date.now();
    const second = await rest(gatewayA.url, 'POST', '/api/coord/agents/register', installation.adminToken, registration);
    expect(second.status).toBe(200);

    const socketClosed = await poll('the old key\'s socket on gateway B closed', async () => closed, { timeoutMs: 15_000, intervalMs: 50 });
    expect(socketClosed).toMatchObject({ code: 4403 });
    const refused = await poll('gateway B refusing the old key', async () => ((await rest(gatewayB.url, 'GET', '/api/coord/agents?limit=1', oldKey)).status === 401 ? Date.now() : undefined), {
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    // Within the accepted-verdict lifetime (10 s) at the very worst; on the notification, normally.
    expect(refused - rotatedAt).toBeLessThan(10_000);
    expect((await rest(gatewayB.url, 'GET', '/api/coord/agents?limit=1', second.body.api_key)).status).toBe(200);
    await client.dispose();
  }, 90_000);
});
