import { AutocoderError, ErrorCodes, actorLabel, nameBasedUuid, type Actor } from '@autocoder/contracts';

export const COMMAND_KEY_MAX_CHARS = 255;

/** Visible ASCII, spaces only inside: what survives an HTTP header unchanged. */
const KEY = new RegExp(`^[\\x21-\\x7e](?:[\\x20-\\x7e]{0,${COMMAND_KEY_MAX_CHARS - 2}}[\\x21-\\x7e])?$`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a client's key cannot name a command, or null when it can. */
export function commandKeyProblem(key: string): string | null {
  return KEY.test(key) ? null : `must be 1 to ${COMMAND_KEY_MAX_CHARS} visible ASCII characters (a UUID, or any string you choose)`;
}

/** Refuses a key the gateway cannot honour, naming where it came from (`Idempotency-Key` or `commandId`). */
export function assertCommandKey(key: string, field: string): void {
  const problem = commandKeyProblem(key);
  if (problem) {
    throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid ${field}: ${problem}; nothing was done`, [{ path: field, message: problem }]);
  }
}

/**
 * The command id for a client's key: a UUID that follows from the actor and the key, so a retry
 * by the same actor names the same command and two actors' keys never meet. Any key shape works.
 */
export function commandIdFor(actor: Actor, key: string, field = 'commandId'): string {
  assertCommandKey(key, field);
  const normalised = UUID.test(key) ? key.toLowerCase() : key;
  return nameBasedUuid(`autocoder-command/${actorLabel(actor)}/${normalised}`);
}
