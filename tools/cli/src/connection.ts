import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, ExitCodes } from './cli-error';

export interface Connection {
  url: string;
  token: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:4000';

/**
 * Where the gateway is and how to prove who we are: flags first, then AUTOCODER_URL and
 * AUTOCODER_TOKEN (or the gateway's own AUTOCODER_ADMIN_TOKEN), then the admin-token file the
 * gateway writes into AUTOCODER_HOME (./.autocoder by default, as the gateway's).
 */
export function resolveConnection(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const url = (flags.url ?? env.AUTOCODER_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CliError(`invalid gateway URL ${JSON.stringify(url)}: expected http(s)://host:port`);
  }
  const token = flags.token ?? env.AUTOCODER_TOKEN ?? env.AUTOCODER_ADMIN_TOKEN ?? tokenFile(env);
  if (!token) {
    throw new CliError(
      'no token: pass --token, set AUTOCODER_TOKEN, or set AUTOCODER_HOME to the gateway\'s home folder (it keeps the admin token in admin-token)',
      ExitCodes.unauthorized,
    );
  }
  return { url, token };
}

function tokenFile(env: NodeJS.ProcessEnv): string | undefined {
  const file = join(resolve(env.AUTOCODER_HOME ?? './.autocoder'), 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
