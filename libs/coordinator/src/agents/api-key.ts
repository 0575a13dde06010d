import { nameBasedUuid } from '@autocoder/contracts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Keys look like `ak_<agent id without dashes>_<secret>`: the agent id says whose hash to check,
 * the secret is 32 random bytes, and only its SHA-256 is stored (high-entropy keys need no slow hash).
 */
export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function issueApiKey(agentId: string): { apiKey: string; hash: string } {
  const apiKey = `ak_${agentId.replace(/-/g, '')}_${randomBytes(32).toString('base64url')}`;
  return { apiKey, hash: hashApiKey(apiKey) };
}

/** The agent id a key claims to belong to, or null when it is not shaped like a key. */
export function agentIdOfApiKey(key: string): string | null {
  const match = /^ak_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/.exec(key);
  if (!match) return null;
  const h = match[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const apiKeyMatches = (key: string, storedHash: string) => {
  const a = Buffer.from(hashApiKey(key), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Agent ids follow from employee ids, so registering the same employee twice updates one agent. */
export const agentIdFor = (employeeId: string): string => nameBasedUuid(`autocoder-agent/${employeeId.toLowerCase()}`);
