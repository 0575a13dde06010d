import 'reflect-metadata';
import { startAutocoder } from '@autocoder/autocoder';
import { createLogger, exitOnStartupError, loadConfig, onShutdown } from '@autocoder/platform';

/** `npm start`: every service in one process, embedded defaults unless the environment names servers. */
async function main() {
  const config = loadConfig();
  const logger = createLogger('autocoder', config.logLevel);
  const running = await startAutocoder(config);
  onShutdown(logger, [running.stop]);

  const { url } = running;
  const store = config.eventstoreUrl ? 'EventStoreDB' : running.db.embedded ? 'embedded Postgres (PGlite)' : 'Postgres';
  logger.info({ url, home: config.home, store, transport: running.transport }, 'listening');
   
  if (running.adminTokenGenerated) console.log(`Admin token (generated once, kept in ${running.adminTokenFile}):\n  ${running.adminToken}`);
  console.log(`Autocoder listening on ${url}  (GraphQL ${url}/graphql, REST ${url}/api, health ${url}/health)`);
  console.log(`Data: ${config.home}  store: ${store}  transport: ${running.transport}`);
}

main().catch(exitOnStartupError(createLogger('autocoder'), 'Autocoder'));
