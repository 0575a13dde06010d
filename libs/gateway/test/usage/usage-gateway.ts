import 'reflect-metadata';
import { InProcessBroker } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { ScriptedRunner, ScriptedUsage, scriptedAgent } from '@autocoder/testing';
import { createGatewayApp } from '../../src';
import { ADMIN, type RunnerGateway } from '../runner/runner-gateway';

export { ADMIN, eventually, gql, rest } from '../runner/runner-gateway';

export interface UsageGateway extends RunnerGateway {
  broker: InProcessBroker;
  /** The usage service's double; absent when started `withoutUsage` (no service answers its subjects). */
  usage: ScriptedUsage;
}

/** The gateway on the in-process bus, with the runner's and the usage service's replies scripted by test doubles. */
export async function startUsageGateway(options: { withoutUsage?: boolean } = {}): Promise<UsageGateway> {
  const broker = new InProcessBroker();
  const agent = scriptedAgent();
  const runner = new ScriptedRunner(broker, [agent]);
  const usage = options.withoutUsage ? (undefined as unknown as ScriptedUsage) : new ScriptedUsage(broker);
  const app = await createGatewayApp({ bus: broker, logger: createLogger('gateway', 'silent'), adminToken: ADMIN });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    broker,
    runner,
    usage,
    agent,
    app,
    async close() {
      await app.close();
      await broker.close();
    },
  };
}
