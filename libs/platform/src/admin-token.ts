import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AdminTokenSource {
  token: string;
  /** True when this call created it: the caller prints it once. */
  generated: boolean;
  file: string | null;
}

/** AUTOCODER_ADMIN_TOKEN wins; otherwise the token kept in AUTOCODER_HOME, made on first start. */
export function resolveAdminToken(home: string, configured: string | null): AdminTokenSource {
  if (configured) return { token: configured, generated: false, file: null };
  const file = join(home, 'admin-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), generated: false, file };
  mkdirSync(home, { recursive: true });
  const token = `adm_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, file };
}
