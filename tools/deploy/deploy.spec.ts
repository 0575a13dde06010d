/**
 * Static checks of the deployment files: Dockerfile, .dockerignore, docker-compose.yml and the
 * Kubernetes manifests under deploy/. They read the files only: no network, no docker, no cluster.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';

 
type Obj = Record<string, any>;

const ROOT = resolve(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The variables the Autocoder processes read (see libs/platform/src/config.ts and the docs). */
const APP_ENV = [
  'PORT',
  'HOST',
  'AUTOCODER_HOME',
  'AUTOCODER_ADMIN_TOKEN',
  'DATABASE_URL',
  'EVENTSTORE_URL',
  'NATS_URL',
  'LOG_LEVEL',
  'AUTOCODER_HEARTBEAT_INTERVAL_SEC',
  'AUTOCODER_AGENT_OFFLINE_AFTER_SEC',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'AUTOCODER_MODEL',
  'AUTOCODER_INITIALIZER_MODEL',
  'AUTOCODER_AUTO_CONTINUE_DELAY_SEC',
  'AUTOCODER_MAX_SESSIONS',
  'AUTOCODER_MAX_TURNS',
  'AUTOCODER_MAX_TOKENS',
  'AUTOCODER_MAX_OUTPUT_TOKENS',
  'AUTOCODER_FEATURE_LEASE_SEC',
  'AUTOCODER_PROJECTS_DIR',
  'AUTOCODER_PRICES_FILE',
] as const;
/** Read by docker-compose.yml itself (for its local Postgres), documented in deploy/README.md. */
const COMPOSE_ONLY_ENV = ['POSTGRES_PASSWORD'] as const;
const DOCUMENTED_ENV = new Set<string>([...APP_ENV, ...COMPOSE_ONLY_ENV]);
const SECRET_ENV = ['AUTOCODER_ADMIN_TOKEN', 'DATABASE_URL', 'ANTHROPIC_API_KEY'];

/** Strings that look like real credentials rather than placeholders. */
const KEY_PATTERNS: Array<[string, RegExp]> = [
  ['Anthropic API key', /sk-ant-[A-Za-z0-9_-]{8,}/],
  ['OpenAI-style key', /\bsk-[A-Za-z0-9]{20,}/],
  ['AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{30,}/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
];
const looksLikeRealKey = (text: string) => KEY_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);

/**
 * The apps that run as services of their own (tagged `type:service` in their project.json): each has
 * an npm script `start:<name>`, a compose service and a Kubernetes Deployment of that name. A new
 * service is checked by adding its app; nothing here lists them.
 */
const SERVICE_APPS: string[] = readdirSync(join(ROOT, 'apps'))
  .filter((app) => existsSync(join(ROOT, 'apps', app, 'project.json')))
  .filter((app) => ((JSON.parse(read(`apps/${app}/project.json`)) as { tags?: string[] }).tags ?? []).includes('type:service'))
  .sort();
const INFRASTRUCTURE = ['eventstore', 'nats', 'postgres'];

const rootPackage = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

/**
 * The npm script a container command runs: `npm start`, `npm test`, `npm run X`, `npm run-script X`.
 * Returns null for anything that does not run an npm script.
 */
function npmScript(command: unknown): string | null {
  const words = Array.isArray(command)
    ? command.map(String)
    : typeof command === 'string'
      ? command.trim().split(/\s+/)
      : [];
  if (words[0] !== 'npm') return null;
  const args = words.slice(1).filter((word) => !word.startsWith('-'));
  if (args[0] === 'start' || args[0] === 'test' || args[0] === 'stop' || args[0] === 'restart') return args[0];
  if ((args[0] === 'run' || args[0] === 'run-script') && args[1]) return args[1];
  return null;
}

/** Compose-style interpolation with the defaults a fresh shell would get. */
const interpolate = (text: string) =>
  text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g, (_all, _name, op?: string, arg?: string) =>
    op === ':-' || op === '-' ? (arg ?? '') : op === ':?' || op === '?' ? 'set-by-user' : '',
  );

/** Every variable a compose file interpolates: ${VAR}, ${VAR:-x}, ${VAR:?x}, $VAR (not the $$ escape). */
function interpolatedNames(text: string): string[] {
  const names = new Set<string>();
  const unescaped = text.replace(/\$\$/g, '');
  for (const match of unescaped.matchAll(/\$\{([^}:?+\-]*)/g)) names.add(match[1]);
  for (const match of unescaped.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]);
  return [...names];
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped. */
function dockerInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') start = index + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const [keyword, ...rest] = full.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
  });
  return instructions;
}

/** Names set by ENV (both `ENV A=1 B=2` and `ENV A 1`) and ARG. */
function dockerEnv(instructions: Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const { keyword, args } of instructions) {
    if (keyword === 'ARG') env.set(args.split('=')[0].trim(), args.split('=').slice(1).join('='));
    if (keyword !== 'ENV') continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*\s+[^=]*$/.test(args)) {
      const [name, ...value] = args.split(/\s+/);
      env.set(name, value.join(' '));
    } else {
      for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env.set(match[1], match[2].replace(/^"|"$/g, ''));
    }
  }
  return env;
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const instructions = dockerInstructions(text);
  const of = (keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword);
  const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));

  it('builds every stage on node:20-bookworm-slim', () => {
    const bases = of('FROM').map(({ args }) => args.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toBe('node:20-bookworm-slim');
  });

  it('installs with npm ci and keeps the devDependencies the start scripts preload', () => {
    const install = finalStage.filter(({ keyword, args }) => keyword === 'RUN' && /\bnpm ci\b/.test(args));
    expect(install).toHaveLength(1);
    // The scripts run TypeScript via `node -r <module>`; that module must be installed in the image.
    expect(install[0].args).not.toMatch(/--omit[= ]dev|--production|--only[= ]prod/);
    const installedAt = finalStage.indexOf(install[0]);
    const envBeforeInstall = dockerEnv(instructions.slice(0, instructions.indexOf(install[0])));
    expect(envBeforeInstall.get('NODE_ENV')).not.toBe('production');
    const preloaded = new Set<string>();
    for (const name of ['start', ...SERVICE_APPS.map((app) => `start:${app}`)]) {
      for (const match of (rootPackage.scripts[name] ?? '').matchAll(/(?:-r|--require)\s+(\S+)/g)) preloaded.add(match[1]);
    }
    expect(preloaded.size).toBeGreaterThan(0);
    const installed = { ...rootPackage.dependencies, ...rootPackage.devDependencies };
    for (const module of preloaded) expect(installed).toHaveProperty([module]);
    // package-lock.json reaches the install step (copied in this stage or from a stage that has it).
    const copiesBefore = finalStage.slice(0, installedAt).filter(({ keyword }) => keyword === 'COPY');
    expect(copiesBefore.some(({ args }) => /package-lock\.json|--from=|\s\.\s/.test(` ${args} `))).toBe(true);
  });

  it('copies the source after installing, so the image can run the services', () => {
    const installAt = finalStage.findIndex(({ keyword, args }) => keyword === 'RUN' && /\bnpm ci\b/.test(args));
    const copySource = finalStage.findIndex(({ keyword, args }, index) => keyword === 'COPY' && index > installAt && /^\.\s+\S+$/.test(args));
    expect(copySource).toBeGreaterThan(installAt);
  });

  it('runs an existing npm script by default (exec form CMD)', () => {
    const cmds = of('CMD');
    expect(cmds.length).toBeGreaterThan(0);
    const cmd = cmds[cmds.length - 1].args;
    // Exec form, so signals reach npm (and through it node) instead of a shell.
    const argv = JSON.parse(cmd) as string[];
    expect(Array.isArray(argv)).toBe(true);
    expect(argv).toEqual(['npm', 'start']);
    const script = npmScript(argv);
    expect(script).not.toBeNull();
    expect(rootPackage.scripts).toHaveProperty([script!]);
  });

  it('has no ENTRYPOINT that would stop compose/Kubernetes commands from picking the service', () => {
    expect(of('ENTRYPOINT')).toHaveLength(0);
  });

  it('listens on all interfaces inside the container', () => {
    expect(dockerEnv(finalStage).get('HOST')).toBe('0.0.0.0');
  });

  it('bakes in no secrets', () => {
    const env = dockerEnv(instructions);
    for (const name of SECRET_ENV) expect(env.has(name)).toBe(false);
    expect(looksLikeRealKey(text)).toEqual([]);
  });

  it('runs as a numeric non-root user, so Kubernetes can enforce runAsNonRoot', () => {
    const users = finalStage.filter(({ keyword }) => keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1].args.split(':')[0];
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
  });

  it('has a .dockerignore keeping modules, local data, build output and history out of the context', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const excluded = (name: string) => patterns.some((pattern) => pattern.replace(/^\*\*\//, '').replace(/^\//, '').replace(/\/$/, '') === name);
    for (const name of ['node_modules', '.autocoder', 'dist', '.git', 'coverage']) expect({ name, excluded: excluded(name) }).toEqual({ name, excluded: true });
    expect(patterns.some((pattern) => pattern.startsWith('!') && /node_modules|\.autocoder|\.git$/.test(pattern))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

/** Compose `environment` in either form, as name -> value (null: passed through from the shell). */
function composeEnv(service: Obj): Record<string, string | null> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry: string) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, null] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env as Obj).map(([name, value]) => [name, value === null || value === undefined ? null : String(value)]));
}

/** Compose `depends_on` in either form, as name -> condition. */
function composeDependsOn(service: Obj): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name: string) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps as Obj).map(([name, spec]) => [name, (spec as Obj | null)?.condition ?? 'service_started']));
}

/** Published ports as { host, container } from short ("127.0.0.1:4000:4000/tcp") or long syntax. */
function composePorts(service: Obj): Array<{ host: number | null; container: number }> {
  return (service.ports ?? []).map((port: unknown) => {
    if (typeof port === 'object' && port !== null) {
      const long = port as Obj;
      return { host: long.published === undefined ? null : Number(long.published), container: Number(long.target) };
    }
    const parts = String(port).split('/')[0].split(':');
    const container = Number(parts[parts.length - 1]);
    return { host: parts.length >= 2 ? Number(parts[parts.length - 2]) : null, container };
  });
}

const healthcheckDefined = (service: Obj) => {
  const test = service.healthcheck?.test;
  if (!test || service.healthcheck?.disable === true) return false;
  return !(Array.isArray(test) ? test[0] === 'NONE' : String(test).trim() === 'NONE');
};

describe('docker-compose.yml', () => {
  const text = read('docker-compose.yml');
  const doc = parseDocument(text, { merge: true });
  const compose = doc.toJS({ maxAliasCount: 100 }) as Obj;
  const services = (compose?.services ?? {}) as Record<string, Obj>;
  const appServices = SERVICE_APPS;

  it('parses as YAML without errors', () => {
    expect(doc.errors.map((error) => error.message)).toEqual([]);
    expect(typeof compose).toBe('object');
  });

  it('has the three servers and one service per service app, nothing else', () => {
    expect(SERVICE_APPS).toEqual(expect.arrayContaining(['coordinator', 'gateway']));
    expect(Object.keys(services).sort()).toEqual([...INFRASTRUCTURE, ...SERVICE_APPS].sort());
  });

  it('gives every service an image or a build', () => {
    for (const [name, service] of Object.entries(services)) expect({ name, ok: Boolean(service.image || service.build) }).toEqual({ name, ok: true });
  });

  it('uses the pinned infrastructure images', () => {
    expect(services.nats.image).toBe('nats:2.10');
    expect(services.eventstore.image).toBe('eventstore/eventstore:24.10');
    expect(services.postgres.image).toBe('postgres:16');
  });

  it('only depends on services that exist, with valid conditions', () => {
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(composeDependsOn(service))) {
        expect({ name, dependency, exists: dependency in services }).toEqual({ name, dependency, exists: true });
        expect(conditions).toContain(condition);
      }
    }
  });

  it('waits for health exactly where the dependency has a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(composeDependsOn(service))) {
        const healthy = healthcheckDefined(services[dependency] ?? {});
        // service_healthy on a service without a healthcheck never becomes true.
        if (condition === 'service_healthy') expect({ name, dependency, healthy }).toEqual({ name, dependency, healthy: true });
        if (healthy) expect({ name, dependency, condition }).toEqual({ name, dependency, condition: 'service_healthy' });
      }
    }
  });

  it('starts the app services after the three servers', () => {
    for (const name of appServices) {
      expect(Object.keys(composeDependsOn(services[name])).sort()).toEqual(['eventstore', 'nats', 'postgres']);
    }
  });

  it('interpolates only documented variables', () => {
    const names = interpolatedNames(text);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !DOCUMENTED_ENV.has(name))).toEqual([]);
  });

  it('sets only documented variables on the app services', () => {
    for (const name of appServices) {
      const undocumented = Object.keys(composeEnv(services[name])).filter((variable) => !APP_ENV.includes(variable as (typeof APP_ENV)[number]));
      expect({ name, undocumented }).toEqual({ name, undocumented: [] });
    }
  });

  it('requires AUTOCODER_ADMIN_TOKEN from the environment instead of defaulting it', () => {
    for (const name of appServices) {
      expect(composeEnv(services[name]).AUTOCODER_ADMIN_TOKEN).toMatch(/^\$\{AUTOCODER_ADMIN_TOKEN:\?[^}]+\}$/);
    }
  });

  it('passes ANTHROPIC_API_KEY through from the environment', () => {
    for (const name of appServices) {
      const env = composeEnv(services[name]);
      expect(env).toHaveProperty(['ANTHROPIC_API_KEY']);
      const value = env.ANTHROPIC_API_KEY;
      expect(value === null || /^\$\{ANTHROPIC_API_KEY(:?-)?\}$/.test(value)).toBe(true);
    }
  });

  it('wires the app services to the nats, eventstore and postgres services', () => {
    const postgresEnv = composeEnv(services.postgres);
    for (const name of appServices) {
      const env = composeEnv(services[name]);
      const nats = new URL(interpolate(env.NATS_URL ?? ''));
      expect([nats.protocol, nats.hostname, nats.port]).toEqual(['nats:', 'nats', '4222']);

      const eventstore = new URL(interpolate(env.EVENTSTORE_URL ?? ''));
      expect([eventstore.protocol, eventstore.hostname, eventstore.port]).toEqual(['esdb:', 'eventstore', '2113']);
      // The compose EventStoreDB runs insecure, so the client must not try TLS.
      expect(eventstore.searchParams.get('tls')).toBe('false');

      const database = new URL(interpolate(env.DATABASE_URL ?? ''));
      expect(['postgres:', 'postgresql:']).toContain(database.protocol);
      expect(database.hostname).toBe('postgres');
      expect(database.port === '' || database.port === '5432').toBe(true);
      expect(database.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
      expect(decodeURIComponent(database.username)).toBe(postgresEnv.POSTGRES_USER ?? 'postgres');
      // The app and Postgres use the same password expression, default included.
      expect(env.DATABASE_URL).toContain(postgresEnv.POSTGRES_PASSWORD!);
    }
  });

  it('configures postgres with database autocoder, a volume, a password from the environment and pg_isready', () => {
    const env = composeEnv(services.postgres);
    expect(env.POSTGRES_DB).toBe('autocoder');
    expect(env.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:-[^}]+\}$/);
    expect((services.postgres.volumes ?? []).some((volume: unknown) => String(typeof volume === 'string' ? volume : (volume as Obj).target).includes('/var/lib/postgresql/data'))).toBe(true);
    expect(JSON.stringify(services.postgres.healthcheck?.test)).toContain('pg_isready');
  });

  it('runs eventstore as an insecure single node without projections, on disk, with a volume', () => {
    const env = composeEnv(services.eventstore);
    expect(env.EVENTSTORE_INSECURE).toBe('true');
    expect(env.EVENTSTORE_RUN_PROJECTIONS).toBe('None');
    expect(env.EVENTSTORE_MEM_DB).toBe('false');
    expect(composePorts(services.eventstore).map((port) => port.container)).toContain(2113);
    expect((services.eventstore.volumes ?? []).length).toBeGreaterThan(0);
    expect(healthcheckDefined(services.eventstore)).toBe(true);
  });

  it('runs nats with JetStream on port 4222', () => {
    const command = Array.isArray(services.nats.command) ? services.nats.command : String(services.nats.command ?? '').split(/\s+/);
    expect(command).toContain('-js');
    expect(composePorts(services.nats).map((port) => port.container)).toContain(4222);
  });

  it('declares every named volume it mounts', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : (volume as Obj).source;
        const named = source && !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('~') && !source.startsWith('$');
        if (named) expect({ name, source, declared: declared.includes(source) }).toEqual({ name, source, declared: true });
      }
    }
  });

  it('publishes the gateway on port 4000 and makes it listen there on all interfaces', () => {
    const env = composeEnv(services.gateway);
    expect(composePorts(services.gateway)).toContainEqual({ host: 4000, container: 4000 });
    // The default HOST is 127.0.0.1, which a published port cannot reach.
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.PORT === undefined || env.PORT === '4000').toBe(true);
  });

  it('health-checks the gateway with GET /health on port 4000', () => {
    expect(healthcheckDefined(services.gateway)).toBe(true);
    const test = JSON.stringify(services.gateway.healthcheck.test);
    expect(test).toMatch(/https?:\/\/(127\.0\.0\.1|localhost):4000\/health\b/);
    // node:20-bookworm-slim has no curl or wget; the check must use what is in the image.
    expect(test).not.toMatch(/\b(curl|wget)\b/);
  });

  it('builds the app services from the Dockerfile and runs existing npm scripts', () => {
    for (const name of appServices) {
      const service = services[name];
      const build = typeof service.build === 'string' ? { context: service.build } : (service.build as Obj);
      expect(build).toBeDefined();
      const dockerfile = join(ROOT, build.context ?? '.', build.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile)).toBe(true);
      const script = npmScript(service.command);
      expect(script).toBe(`start:${name}`);
      expect(rootPackage.scripts).toHaveProperty([script!]);
    }
  });

  it('contains nothing that looks like a real key', () => {
    expect(looksLikeRealKey(text)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes manifests

interface Manifest {
  file: string;
  index: number;
  doc: Obj;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(entry) ? [path] : [];
    });
}

/** Kubernetes quantities ("100m", "1", "512Mi", "2Gi") as numbers. */
function quantity(value: unknown): number {
  const match = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(value));
  if (!match) throw new Error(`not a quantity: ${String(value)}`);
  const factor: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(match[1]) * (match[2] ? factor[match[2]] : 1);
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass'];

describe('Kubernetes manifests (deploy/)', () => {
  const deployDir = join(ROOT, 'deploy');
  const files = yamlFiles(deployDir);
  const parsed = files.map((path) => ({ file: relative(ROOT, path), docs: parseAllDocuments(readFileSync(path, 'utf8')) }));
  const manifests: Manifest[] = parsed.flatMap(({ file, docs }) =>
    (Array.isArray(docs) ? docs : [])
      .map((doc, index) => ({ file, index, doc: doc.toJS() as Obj }))
      .filter(({ doc }) => doc !== null && doc !== undefined),
  );
  const ofKind = (kind: string) => manifests.filter(({ doc }) => doc.kind === kind);
  const named = (kind: string, name: string) => ofKind(kind).find(({ doc }) => doc.metadata?.name === name)?.doc;
  const workloads = manifests.filter(({ doc }) => WORKLOAD_KINDS.includes(doc.kind));
  const containersOf = (workload: Obj): Obj[] => [...(workload.spec?.template?.spec?.initContainers ?? []), ...(workload.spec?.template?.spec?.containers ?? [])];
  const label = ({ file, index, doc }: Manifest) => `${file}#${index} ${doc.kind}/${doc.metadata?.name}`;
  /** Containers that run the Autocoder image (their command is an npm script). */
  const appContainers = workloads.flatMap((manifest) =>
    containersOf(manifest.doc)
      .filter((container) => npmScript([...(container.command ?? []), ...(container.args ?? [])]) !== null)
      .map((container) => ({ manifest, container })),
  );

  it('finds YAML files under deploy/', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(manifests.length).toBeGreaterThan(0);
  });

  it('parses every file without YAML errors', () => {
    for (const { file, docs } of parsed) {
      const errors = (Array.isArray(docs) ? docs : []).flatMap((doc) => doc.errors.map((error) => error.message));
      expect({ file, errors }).toEqual({ file, errors: [] });
    }
  });

  it('gives every document apiVersion, kind and metadata.name', () => {
    for (const manifest of manifests) {
      const { doc } = manifest;
      const ok = typeof doc.apiVersion === 'string' && typeof doc.kind === 'string' && typeof doc.metadata?.name === 'string' && doc.metadata.name !== '';
      expect({ at: `${manifest.file}#${manifest.index}`, ok }).toEqual({ at: `${manifest.file}#${manifest.index}`, ok: true });
    }
  });

  it('has no two objects of the same kind and name', () => {
    const keys = manifests.map(({ doc }) => `${doc.kind}/${doc.metadata?.namespace ?? ''}/${doc.metadata?.name}`);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
  });

  it('defines the namespace and puts every namespaced object in it', () => {
    expect(named('Namespace', 'autocoder')).toBeDefined();
    for (const manifest of manifests.filter(({ doc }) => !CLUSTER_SCOPED.includes(doc.kind))) {
      expect({ object: label(manifest), namespace: manifest.doc.metadata?.namespace }).toEqual({ object: label(manifest), namespace: 'autocoder' });
    }
  });

  it('has the expected workloads and services', () => {
    // Gateways hold no state; services share the work through their NATS queue group: two of each are safe.
    for (const app of SERVICE_APPS) expect({ app, replicas: named('Deployment', app)?.spec?.replicas }).toEqual({ app, replicas: 2 });
    expect(named('StatefulSet', 'nats')).toBeDefined();
    expect(named('StatefulSet', 'eventstore')).toBeDefined();
    for (const service of ['gateway', 'nats', 'eventstore']) expect({ service, defined: named('Service', service) !== undefined }).toEqual({ service, defined: true });
    expect(named('ConfigMap', 'autocoder-config')).toBeDefined();
    expect(named('Secret', 'autocoder-secrets')).toBeDefined();
  });

  it("matches every workload's selector to its pod template labels", () => {
    for (const manifest of workloads) {
      const selector = manifest.doc.spec?.selector?.matchLabels ?? {};
      const labels = manifest.doc.spec?.template?.metadata?.labels ?? {};
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      for (const [key, value] of Object.entries(selector)) {
        expect({ object: label(manifest), key, value: labels[key] }).toEqual({ object: label(manifest), key, value });
      }
    }
  });

  it('gives every container cpu and memory requests and limits, requests not above limits', () => {
    for (const manifest of workloads) {
      for (const container of containersOf(manifest.doc)) {
        const where = `${label(manifest)} container ${container.name}`;
        for (const resource of ['cpu', 'memory']) {
          const request = container.resources?.requests?.[resource];
          const limit = container.resources?.limits?.[resource];
          expect({ where, resource, request: request !== undefined, limit: limit !== undefined }).toEqual({ where, resource, request: true, limit: true });
          expect({ where, resource, withinLimit: quantity(request) <= quantity(limit) }).toEqual({ where, resource, withinLimit: true });
        }
      }
    }
  });

  it('probes every container that serves HTTP, on a port it declares', () => {
    let httpContainers = 0;
    for (const manifest of workloads) {
      for (const container of containersOf(manifest.doc)) {
        const ports: Obj[] = container.ports ?? [];
        if (!ports.some((port) => String(port.name ?? '').startsWith('http'))) continue;
        httpContainers += 1;
        const where = `${label(manifest)} container ${container.name}`;
        for (const probe of ['readinessProbe', 'livenessProbe']) {
          const httpGet = container[probe]?.httpGet;
          expect({ where, probe, httpGet: httpGet !== undefined }).toEqual({ where, probe, httpGet: true });
          const resolves = ports.some((port) => port.name === httpGet.port || port.containerPort === httpGet.port);
          expect({ where, probe, port: httpGet.port, resolves }).toEqual({ where, probe, port: httpGet.port, resolves: true });
        }
      }
    }
    expect(httpContainers).toBeGreaterThanOrEqual(3);
  });

  it('probes the gateway with GET /health on port 4000', () => {
    const gateway = named('Deployment', 'gateway')!;
    const [container] = containersOf(gateway);
    const portNumber = (port: unknown) => (typeof port === 'number' ? port : (container.ports ?? []).find((p: Obj) => p.name === port)?.containerPort);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      expect(container[probe]?.httpGet?.path).toBe('/health');
      expect(portNumber(container[probe]?.httpGet?.port)).toBe(4000);
    }
  });

  it('runs the Autocoder Deployments as non-root', () => {
    for (const manifest of ofKind('Deployment')) {
      const pod = manifest.doc.spec?.template?.spec ?? {};
      for (const container of containersOf(manifest.doc)) {
        const nonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        expect({ where: `${label(manifest)} ${container.name}`, nonRoot }).toEqual({ where: `${label(manifest)} ${container.name}`, nonRoot: true });
        const user = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
        if (user !== undefined) expect(user).toBeGreaterThan(0);
      }
    }
  });

  it('runs the npm script start:<app> in the container of every service app', () => {
    for (const name of SERVICE_APPS) {
      const [container] = containersOf(named('Deployment', name)!);
      const ran = npmScript([...(container.command ?? []), ...(container.args ?? [])]);
      expect(ran).toBe(`start:${name}`);
      expect(rootPackage.scripts).toHaveProperty([ran!]);
    }
    expect(appContainers.length).toBe(SERVICE_APPS.length);
  });

  it('loads the Autocoder containers from the ConfigMap and the Secret, which both exist', () => {
    for (const { manifest, container } of appContainers) {
      const where = `${label(manifest)} ${container.name}`;
      const sources: Obj[] = container.envFrom ?? [];
      const configMaps = sources.filter((source) => source.configMapRef).map((source) => source.configMapRef.name);
      const secrets = sources.filter((source) => source.secretRef).map((source) => source.secretRef.name);
      expect({ where, configMaps, secrets }).toEqual({ where, configMaps: ['autocoder-config'], secrets: ['autocoder-secrets'] });
      for (const name of configMaps) expect(named('ConfigMap', name)).toBeDefined();
      for (const name of secrets) expect(named('Secret', name)).toBeDefined();
    }
  });

  it('references only documented variables in the Autocoder containers', () => {
    for (const { manifest, container } of appContainers) {
      const names = new Set<string>((container.env ?? []).map((entry: Obj) => entry.name));
      for (const source of container.envFrom ?? []) {
        const object = source.configMapRef ? named('ConfigMap', source.configMapRef.name) : source.secretRef ? named('Secret', source.secretRef.name) : undefined;
        for (const key of Object.keys({ ...object?.data, ...object?.stringData })) names.add(`${source.prefix ?? ''}${key}`);
      }
      for (const word of [...(container.command ?? []), ...(container.args ?? [])]) {
        for (const match of String(word).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) names.add(match[1]);
      }
      const undocumented = [...names].filter((name) => !APP_ENV.includes(name as (typeof APP_ENV)[number]));
      expect({ where: label(manifest), undocumented }).toEqual({ where: label(manifest), undocumented: [] });
    }
  });

  it('keeps the ConfigMap non-secret, string-valued and pointed at in-cluster services', () => {
    const config = named('ConfigMap', 'autocoder-config')!;
    const data = (config.data ?? {}) as Obj;
    for (const [key, value] of Object.entries(data)) expect({ key, type: typeof value }).toEqual({ key, type: 'string' });
    for (const secret of SECRET_ENV) expect(Object.keys(data)).not.toContain(secret);
    expect(data.HOST).toBe('0.0.0.0');
    expect(data.PORT).toBe('4000');
    const endpoints: Array<[string, string]> = [
      ['NATS_URL', 'nats:'],
      ['EVENTSTORE_URL', 'esdb:'],
    ];
    for (const [variable, protocol] of endpoints) {
      const url = new URL(data[variable]);
      expect(url.protocol).toBe(protocol);
      const service = named('Service', url.hostname.split('.')[0]);
      expect({ variable, service: service?.metadata?.name }).toEqual({ variable, service: url.hostname.split('.')[0] });
      expect((service!.spec.ports as Obj[]).map((port) => String(port.port))).toContain(url.port);
    }
  });

  it('selects pods of some workload with every Service, on ports those pods declare', () => {
    for (const manifest of ofKind('Service')) {
      const selector = (manifest.doc.spec?.selector ?? {}) as Record<string, string>;
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      const matching = workloads.filter(({ doc }) => {
        const labels = doc.spec?.template?.metadata?.labels ?? {};
        return Object.entries(selector).every(([key, value]) => labels[key] === value);
      });
      expect({ service: label(manifest), matches: matching.length > 0 }).toEqual({ service: label(manifest), matches: true });
      const declared = matching.flatMap(({ doc }) => containersOf(doc).flatMap((container) => container.ports ?? [])) as Obj[];
      for (const port of manifest.doc.spec.ports ?? []) {
        const target = port.targetPort ?? port.port;
        const found = declared.some((candidate) => candidate.name === target || candidate.containerPort === target);
        expect({ service: label(manifest), target, found }).toEqual({ service: label(manifest), target, found: true });
      }
    }
  });

  it("gives every StatefulSet its headless governing Service", () => {
    for (const manifest of ofKind('StatefulSet')) {
      const service = named('Service', manifest.doc.spec?.serviceName);
      expect({ statefulSet: label(manifest), service: service?.spec?.clusterIP }).toEqual({ statefulSet: label(manifest), service: 'None' });
    }
  });

  it('runs NATS with JetStream on persistent storage', () => {
    const nats = named('StatefulSet', 'nats')!;
    const [container] = containersOf(nats);
    const argv = [...(container.command ?? []), ...(container.args ?? [])].map(String);
    expect(argv.some((arg) => arg === '-js' || arg === '--jetstream')).toBe(true);
    const storeAt = argv.findIndex((arg) => arg === '-sd' || arg === '--store_dir');
    expect(storeAt).toBeGreaterThanOrEqual(0);
    const mounts = (container.volumeMounts ?? []) as Obj[];
    const claims = (nats.spec.volumeClaimTemplates ?? []).map((claim: Obj) => claim.metadata.name);
    expect(mounts.some((mount) => argv[storeAt + 1].startsWith(mount.mountPath) && claims.includes(mount.name))).toBe(true);
    expect((container.ports ?? []).map((port: Obj) => port.containerPort)).toContain(4222);
  });

  it('runs EventStoreDB as a single insecure node on persistent storage, without service links', () => {
    const eventstore = named('StatefulSet', 'eventstore')!;
    const [container] = containersOf(eventstore);
    const env = Object.fromEntries((container.env ?? []).map((entry: Obj) => [entry.name, entry.value]));
    expect(env).toMatchObject({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None', EVENTSTORE_MEM_DB: 'false' });
    for (const name of Object.keys(env)) expect(name).toMatch(/^EVENTSTORE_/);
    // EventStoreDB rejects unknown EVENTSTORE_* variables, and service links would add EVENTSTORE_PORT etc.
    expect(eventstore.spec.template.spec.enableServiceLinks).toBe(false);
    const claims = (eventstore.spec.volumeClaimTemplates ?? []).map((claim: Obj) => claim.metadata.name);
    expect((container.volumeMounts ?? []).some((mount: Obj) => mount.mountPath === '/var/lib/eventstore' && claims.includes(mount.name))).toBe(true);
  });

  describe('the autocoder-secrets template', () => {
    const secretManifest = ofKind('Secret').find(({ doc }) => doc.metadata?.name === 'autocoder-secrets');
    const secret = secretManifest?.doc ?? {};
    const values = (): Record<string, string> => ({
      ...Object.fromEntries(Object.entries((secret.data ?? {}) as Obj).map(([key, value]) => [key, Buffer.from(String(value), 'base64').toString('utf8')])),
      ...Object.fromEntries(Object.entries((secret.stringData ?? {}) as Obj).map(([key, value]) => [key, String(value)])),
    });

    it('holds exactly the secret keys', () => {
      expect(Object.keys(values()).sort()).toEqual([...SECRET_ENV].sort());
    });

    it('holds only obvious placeholders, nothing that looks like a real key', () => {
      for (const [key, value] of Object.entries(values())) {
        expect({ key, startsWithSkAnt: value.startsWith('sk-ant-'), looksReal: looksLikeRealKey(value) }).toEqual({ key, startsWithSkAnt: false, looksReal: [] });
        expect({ key, placeholder: value.includes('REPLACE_ME') }).toEqual({ key, placeholder: true });
      }
    });

    it('lives outside the top level of deploy/, so `kubectl apply -f deploy/` cannot overwrite the real Secret', () => {
      expect(secretManifest).toBeDefined();
      expect(relative('deploy', secretManifest!.file).includes('/')).toBe(true);
    });
  });

  it('contains nothing that looks like a real key in any file', () => {
    for (const path of files) expect({ file: relative(ROOT, path), found: looksLikeRealKey(readFileSync(path, 'utf8')) }).toEqual({ file: relative(ROOT, path), found: [] });
  });

  it('has a README explaining the apply order and the managed Postgres', () => {
    const readme = read('deploy/README.md');
    expect(readme).toMatch(/apply order/i);
    expect(readme).toContain('DATABASE_URL');
    expect(readme).toMatch(/managed/i);
    // Every file it tells people to apply exists.
    for (const match of readme.matchAll(/kubectl apply -f (deploy\/[^\s`'"]*)/g)) expect(existsSync(join(ROOT, match[1]))).toBe(true);
  });
});
