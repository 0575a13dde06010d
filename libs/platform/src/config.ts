import { resolve } from 'node:path';

/** Everything a process reads from its environment, read once and checked. */
export interface AutocoderConfig {
  host: string;
  port: number;
  home: string;
  adminToken: string | null;
  databaseUrl: string | null;
  eventstoreUrl: string | null;
  natsUrl: string | null;
  logLevel: string;
  /** Prepended to every Postgres schema name, so several installations (or test runs) can share one database. */
  schemaPrefix: string;
  /** Prepended to every NATS subject, so several installations (or test runs) can share one NATS server. */
  natsPrefix: string;
  /** What agents are told as next_heartbeat_sec. */
  heartbeatIntervalSec: number;
  /** An agent silent for this long is marked offline. */
  agentOfflineAfterSec: number;
  runner: RunnerSettings;
  /** The usage service's price file (AUTOCODER_PRICES_FILE); the shipped defaults when not set. */
  pricesFile?: string | null;
}

/** How the runner drives its sessions (see README, "Configuration"). */
export interface RunnerSettings {
  /** The coding sessions' model; null for the runner's default from the SDK's current model list. */
  model: string | null;
  initializerModel: string | null;
  /** Pause between one session's end and the next one's start. */
  autoContinueDelaySec: number;
  maxSessions: number;
  maxTurnsPerSession: number;
  /** Tokens a run may use in all (0: no limit). */
  maxTokens: number;
  /** max_tokens of each model call. */
  maxOutputTokens: number;
  /** Lease a runner holds on a feature's task while a session works on it (heartbeats renew it). */
  featureLeaseSec: number;
  /** Where projects without a path get their folder. */
  projectsDir: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const integer = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
};

const optional = (env: NodeJS.ProcessEnv, name: string) => (env[name] && env[name]!.trim() !== '' ? env[name]!.trim() : null);

const schemaPrefix = (raw: string | null) => {
  if (raw === null) return '';
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(raw)) {
    throw new ConfigError(`AUTOCODER_SCHEMA_PREFIX must be 1-31 lower-case letters, digits or "_", starting with a letter, got "${raw}"`);
  }
  return `${raw}_`;
};

const natsPrefix = (raw: string | null) => {
  if (raw === null) return '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) {
    throw new ConfigError(`AUTOCODER_NATS_PREFIX must be 1-64 letters, digits, "_" or "-", got "${raw}"`);
  }
  return `${raw}.`;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AutocoderConfig {
  const heartbeatIntervalSec = integer(env, 'AUTOCODER_HEARTBEAT_INTERVAL_SEC', 60, 1, 3600);
  const home = resolve(optional(env, 'AUTOCODER_HOME') ?? './.autocoder');
  return {
    host: optional(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65535),
    home,
    adminToken: optional(env, 'AUTOCODER_ADMIN_TOKEN'),
    databaseUrl: optional(env, 'DATABASE_URL'),
    eventstoreUrl: optional(env, 'EVENTSTORE_URL'),
    natsUrl: optional(env, 'NATS_URL'),
    logLevel: optional(env, 'LOG_LEVEL') ?? 'info',
    schemaPrefix: schemaPrefix(optional(env, 'AUTOCODER_SCHEMA_PREFIX')),
    natsPrefix: natsPrefix(optional(env, 'AUTOCODER_NATS_PREFIX')),
    heartbeatIntervalSec,
    // Two missed heartbeats and a little slack for clocks and the network.
    agentOfflineAfterSec: integer(env, 'AUTOCODER_AGENT_OFFLINE_AFTER_SEC', heartbeatIntervalSec * 2 + 10, 1, 86400),
    pricesFile: optional(env, 'AUTOCODER_PRICES_FILE'),
    runner: {
      model: optional(env, 'AUTOCODER_MODEL'),
      initializerModel: optional(env, 'AUTOCODER_INITIALIZER_MODEL'),
      autoContinueDelaySec: integer(env, 'AUTOCODER_AUTO_CONTINUE_DELAY_SEC', 3, 0, 3600),
      maxSessions: integer(env, 'AUTOCODER_MAX_SESSIONS', 50, 1, 1000),
      maxTurnsPerSession: integer(env, 'AUTOCODER_MAX_TURNS', 100, 1, 1000),
      maxTokens: integer(env, 'AUTOCODER_MAX_TOKENS', 0, 0, 1_000_000_000_000),
      maxOutputTokens: integer(env, 'AUTOCODER_MAX_OUTPUT_TOKENS', 16_000, 256, 128_000),
      featureLeaseSec: integer(env, 'AUTOCODER_FEATURE_LEASE_SEC', 900, 5, 86400),
      projectsDir: resolve(optional(env, 'AUTOCODER_PROJECTS_DIR') ?? `${home}/projects`),
    },
  };
}
