import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { loadConfig } from '@autocoder/platform';

type Answer = { data?: { rebuildProjections: { projections: { name: string; eventsReplayed: number; rows: number }[] } }; errors?: { message: string }[] };

/**
 * POSTs with node:http rather than fetch, whose default five-minute wait for the response headers
 * would give up on a long rebuild the gateway is still waiting for.
 */
function post(url: URL, token: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer);
        } catch {
          reject(new Error(`Autocoder answered ${res.statusCode} with no JSON`));
        }
      });
    });
    req.on('error', (error) => reject(new Error(`Autocoder does not answer at ${url} (${error.message}); start it first`)));
    req.end(body);
  });
}

/**
 * `npm run rebuild`: asks the running Autocoder (HOST:PORT) to empty its read models and replay
 * every event from zero, with the admin token from AUTOCODER_ADMIN_TOKEN or AUTOCODER_HOME. The
 * rebuild is a command with an id of its own, printed so that a retry can name the same rebuild.
 */
async function main() {
  const config = loadConfig();
  const tokenFile = join(config.home, 'admin-token');
  const token = config.adminToken ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : null);
  if (!token) throw new Error(`no admin token: set AUTOCODER_ADMIN_TOKEN or start Autocoder once so that ${tokenFile} exists`);
  const commandId = process.env.AUTOCODER_REBUILD_COMMAND_ID ?? randomUUID();
  console.log(`rebuild ${commandId} (AUTOCODER_REBUILD_COMMAND_ID=${commandId} npm run rebuild asks for the same one again)`);
  const body = await post(new URL(`http://${config.host}:${config.port}/graphql`), token, JSON.stringify({
    query: 'mutation($id: ID) { rebuildProjections(commandId: $id) { projections { name eventsReplayed rows } } }',
    variables: { id: commandId },
  }));
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  for (const p of body.data!.rebuildProjections.projections) {
    console.log(`${p.name}: replayed ${p.eventsReplayed} events, ${p.rows} rows`);
  }
}

main().catch((error: Error) => {
  console.error(`rebuild failed: ${error.message}`);
  process.exit(1);
});
