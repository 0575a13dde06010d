import { timingSafeEqual } from 'node:crypto';
import { AutocoderError, ErrorCodes, type Actor } from '@autocoder/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { CoordinatorClient } from '../coordinator-client';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../tokens';

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Humans hold the admin token; agents hold their own API key. Both come as `Bearer <token>`. */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly coordinator: CoordinatorClient,
  ) {}

  async authenticate(authorization: unknown): Promise<Actor> {
    if (typeof authorization !== 'string' || authorization.trim() === '') {
      throw new AutocoderError(ErrorCodes.Unauthenticated, 'missing Authorization header: send "Authorization: Bearer <admin token or agent API key>"');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new AutocoderError(ErrorCodes.Unauthenticated, 'malformed Authorization header: expected "Bearer <token>"');
    const token = match[1];
    if (same(token, this.settings.adminToken)) return { kind: 'admin' };
    if (token.startsWith('ak_')) {
      const agent = await this.coordinator.authenticateAgent(token);
      return { kind: 'agent', agentId: agent.agentId, employeeId: agent.employeeId };
    }
    throw new AutocoderError(ErrorCodes.Unauthenticated, 'the bearer token is neither the admin token nor an agent API key');
  }
}
