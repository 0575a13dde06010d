import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@autocoder/platform';

/**
 * `npm run rebuild`: asks the running Autocoder (HOST:PORT) to empty its read models and replay
 * every event from zero, with the admin token from AUTOCODER_ADMIN_TOKEN or AUTOCODER_HOME.
 */
async function main() {
  const config = loadConfig();
  const tokenFile = join(config.home, 'admin-token');
  const token = config.adminToken ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : null);
  if (!token) throw new Error(`no admin token: set AUTOCODER_ADMIN_TOKEN or start Autocoder once so that ${tokenFile} exists`);
  const url = `http://${config.host}:${config.port}/graphql`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { rebuildProjections { projections { name eventsReplayed rows } } }' }),
  }).catch((error: Error) => {
    throw new Error(`Autocoder does not answer at ${url} (${error.message}); start it first`);
  });
  const body = (await res.json()) as { data?: { rebuildProjections: { projections: { name: string; eventsReplayed: number; rows: number }[] } }; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  for (const p of body.data!.rebuildProjections.projections) {
    // eslint-disable-next-line no-console
    console.log(`${p.name}: replayed ${p.eventsReplayed} events, ${p.rows} rows`);
  }
}

main().catch((error: Error) => {
  // eslint-disable-next-line no-console
  console.error(`rebuild failed: ${error.message}`);
  process.exit(1);
});
