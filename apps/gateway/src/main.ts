import 'reflect-metadata';
import { createGatewayApp } from '@autocoder/gateway';
import { NatsMessageBus } from '@autocoder/messaging';
import { ConfigError, createLogger, exitOnStartupError, loadConfig, onShutdown, resolveAdminToken } from '@autocoder/platform';

/** The gateway as its own process: GraphQL and REST in front of the services on NATS. */
async function main() {
  const config = loadConfig();
  const logger = createLogger('gateway', config.logLevel);
  if (!config.natsUrl) throw new ConfigError('the gateway on its own needs NATS_URL (npm start runs everything in one process without it)');
  const bus = await NatsMessageBus.connect(config.natsUrl, 'gateway', config.natsPrefix);
  const admin = resolveAdminToken(config.home, config.adminToken);
  const app = await createGatewayApp({ bus, logger, adminToken: admin.token });
  await app.listen(config.port, config.host);
  onShutdown(logger, [() => app.close(), () => bus.close()]);
  const url = `http://${config.host}:${(app.getHttpServer().address() as { port: number }).port}`;
  logger.info({ url }, 'listening');
   
  if (admin.generated) console.log(`Admin token (generated once, kept in ${admin.file}):\n  ${admin.token}`);
  console.log(`Gateway listening on ${url}  (GraphQL ${url}/graphql, REST ${url}/api, health ${url}/health)`);
}

main().catch(exitOnStartupError(createLogger('gateway'), 'The gateway'));
