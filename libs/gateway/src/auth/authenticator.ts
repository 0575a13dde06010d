import { createHash, timingSafeEqual } from 'node:crypto';
import { AutocoderError, ErrorCodes, isAutocoderError, type Actor } from '@autocoder/contracts';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CoordinatorClient } from '../coordinator-client';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../tokens';
import { AgentRevocations } from './agent-revocations';

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

type AgentActor = Extract<Actor, { kind: 'agent' }>;

/** `ak_<agent id, 32 hex>_<secret, 43 base64url>`: the shape the coordinator issues. */
const AGENT_KEY = /^ak_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/;
const uuidOf = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

/** How long a verdict is trusted without a word from the coordinator; rotations also forget it at once. */
export const AGENT_KEY_CACHE = { acceptedMs: 10_000, refusedMs: 60_000, maxEntries: 10_000 } as const;

/**
 * Humans hold the admin token; agents hold their own API key. Both come as `Bearer <token>`.
 * An agent key is checked for its shape first (no request for garbage), then against a small cache
 * of verdicts (accepted keys by agent id, refused ones by hash, both bounded and short-lived), and
 * only then asked of the coordinator, once per key however many requests carry it at the same time.
 */
@Injectable()
export class Authenticator implements OnModuleDestroy {
  private readonly accepted = new LRUCache<string, { hash: Buffer; actor: AgentActor }>({ max: AGENT_KEY_CACHE.maxEntries, ttl: AGENT_KEY_CACHE.acceptedMs });
  private readonly refused = new LRUCache<string, string>({ max: AGENT_KEY_CACHE.maxEntries, ttl: AGENT_KEY_CACHE.refusedMs });
  private readonly asking = new Map<string, Promise<AgentActor>>();
  /** Per agent, the sequence number of its last revocation: answers to older questions are not cached. */
  private readonly revokedAt = new LRUCache<string, number>({ max: AGENT_KEY_CACHE.maxEntries, ttl: 60_000 });
  private sequence = 0;
  private readonly stopListening: () => void;

  constructor(
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly coordinator: CoordinatorClient,
    revocations: AgentRevocations,
  ) {
    this.stopListening = revocations.listen((agentId) => this.forget(agentId));
  }

  onModuleDestroy() {
    this.stopListening();
  }

  async authenticate(authorization: unknown): Promise<Actor> {
    if (typeof authorization !== 'string' || authorization.trim() === '') {
      throw new AutocoderError(ErrorCodes.Unauthenticated, 'missing Authorization header: send "Authorization: Bearer <admin token or agent API key>"');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new AutocoderError(ErrorCodes.Unauthenticated, 'malformed Authorization header: expected "Bearer <token>"');
    const token = match[1];
    if (same(token, this.settings.adminToken)) return { kind: 'admin' };
    if (token.startsWith('ak_')) return this.agent(token);
    throw new AutocoderError(ErrorCodes.Unauthenticated, 'the bearer token is neither the admin token nor an agent API key');
  }

  /** Forgets the verdict on an agent's key (it was rotated, or the agent changed): the next use asks again. */
  forget(agentId: string) {
    this.revokedAt.set(agentId, ++this.sequence);
    this.accepted.delete(agentId);
  }

  private agent(key: string): Promise<AgentActor> {
    const shape = AGENT_KEY.exec(key);
    if (!shape) {
      const message = 'the API key is not valid: it is not shaped like an agent key (ak_<32 hex digits>_<43 characters>)';
      return Promise.reject(new AutocoderError(ErrorCodes.Unauthenticated, message));
    }
    const agentId = uuidOf(shape[1]);
    const hash = createHash('sha256').update(key).digest();
    const known = this.accepted.get(agentId);
    if (known && timingSafeEqual(known.hash, hash)) return Promise.resolve(known.actor);
    const id = hash.toString('hex');
    const refusal = this.refused.get(id);
    if (refusal !== undefined) return Promise.reject(new AutocoderError(ErrorCodes.Unauthenticated, refusal));
    return this.asking.get(id) ?? this.ask(key, agentId, hash, id);
  }

  private ask(key: string, agentId: string, hash: Buffer, id: string): Promise<AgentActor> {
    const asked = ++this.sequence;
    const current = () => (this.revokedAt.get(agentId) ?? 0) < asked;
    const answer = this.coordinator.authenticateAgent(key).then(
      (agent) => {
        const actor: AgentActor = { kind: 'agent', agentId: agent.agentId, employeeId: agent.employeeId };
        if (current()) this.accepted.set(agentId, { hash, actor });
        return actor;
      },
      (error: unknown) => {
        // Only the coordinator's "no" is remembered; an unavailable coordinator is asked again.
        if (isAutocoderError(error, ErrorCodes.Unauthenticated) && current()) this.refused.set(id, error.message);
        throw error;
      },
    );
    this.asking.set(id, answer);
    void answer.then(
      () => this.asking.delete(id),
      () => this.asking.delete(id),
    );
    return answer;
  }
}
