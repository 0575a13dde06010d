import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { AutocoderError, ErrorCodes, type QueryEnvelope } from '@autocoder/contracts';
import { currentCorrelationId, type Logger } from '@autocoder/platform';
import { TEST_NATS_URL, describeWith } from '@autocoder/testing';
import { Controller, Inject, Module, type DynamicModule, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { InProcessBroker, InProcessServer, JsonText, NatsMessageBus, natsServerOptions, replyTo, type MessageBus } from '../src';

// Subjects unique to this run: other suites serve the real subjects on the same NATS server.
const RUN = randomBytes(5).toString('hex');
const S = {
  echo: `test.${RUN}.echo`,
  domainError: `test.${RUN}.domain-error`,
  crash: `test.${RUN}.crash`,
  mutate: `test.${RUN}.mutate`,
  slow: `test.${RUN}.slow`,
  nobody: `test.${RUN}.nobody-answers`,
  whoami: `test.${RUN}.whoami`,
  jsonText: `test.${RUN}.json-text`,
  keptJsonText: `test.${RUN}.kept-json-text`,
};
const SECRET = 'password=hunter2 at db.internal:5432';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const query = <P>(payload: P, correlationId: string = randomUUID()): QueryEnvelope<P> => ({
  correlationId,
  actor: { kind: 'system', name: 'message-bus-spec' },
  payload,
});

async function rejectionOf(promise: Promise<unknown>): Promise<AutocoderError> {
  try {
    await promise;
  } catch (error) {
    return error as AutocoderError;
  }
  throw new Error('expected a rejection, but it resolved');
}

async function until(what: string, condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** A logger whose lines the test can read: the handlers' side of an INTERNAL answer. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info', mixin: () => ({ correlationId: currentCorrelationId() }) },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

const INSTANCE = Symbol('INSTANCE');
const LOGGER = Symbol('LOGGER');

type Doc = { items: number[]; nested: { name: string }; when?: unknown; dropped?: unknown };

@Controller()
class EchoController {
  /** The last object the mutate handler returned, as the handler holds it. */
  returned?: Doc;
  private releaseSlow: (() => void)[] = [];

  constructor(
    @Inject(INSTANCE) private readonly instance: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.echo)
  echo(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, async () => ({ payload: envelope.payload, actor: envelope.actor, instance: this.instance }));
  }

  @MessagePattern(S.domainError)
  domainError(@Payload() envelope: QueryEnvelope<{ name: string }>) {
    return replyTo(envelope, this.logger, async () => {
      throw new AutocoderError(ErrorCodes.NotFound, `no agent named ${envelope.payload.name}`, [
        { path: 'payload.name', message: 'unknown' },
      ]);
    });
  }

  @MessagePattern(S.crash)
  crash(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, async () => {
      throw new Error(`could not connect: ${SECRET}`);
    });
  }

  @MessagePattern(S.mutate)
  mutate(@Payload() envelope: QueryEnvelope<Doc>) {
    return replyTo(envelope, this.logger, async () => {
      const doc = envelope.payload;
      doc.items.push(99);
      doc.nested.name = 'changed by the handler';
      this.returned = doc;
      return { doc, whenType: typeof doc.when, hasDropped: 'dropped' in doc };
    });
  }

  /** JSON text as Postgres writes it (spaces after separators, keys in its own order). */
  @MessagePattern(S.jsonText)
  jsonText(@Payload() envelope: QueryEnvelope<{ rows: number; pad?: number }>) {
    return replyTo(envelope, this.logger, async () => {
      const { rows, pad = 0 } = envelope.payload;
      const row = (i: number) => `{"id" : ${i}, "name" : "row \\"${i}\\" \\u00e9", "tags": ["a", "b"], "meta": {"x": null, "pad": "${'p'.repeat(pad)}"}}`;
      return new JsonText<{ id: number; name: string; tags: string[]; meta: { x: null; pad: string } }[]>(`[${Array.from({ length: rows }, (_, i) => row(i)).join(', ')}]`);
    });
  }

  /** Kept answers, one per key: the same JsonText on every request until a request asks for a new one. */
  private readonly kept = new Map<string, JsonText<{ key: string; version: number }[]>>();
  private keptVersion = 0;

  @MessagePattern(S.keptJsonText)
  keptJsonText(@Payload() envelope: QueryEnvelope<{ key: string; renew?: boolean }>) {
    return replyTo(envelope, this.logger, async () => {
      const { key, renew } = envelope.payload;
      if (renew || !this.kept.has(key)) this.kept.set(key, new JsonText(`[{"key" : ${JSON.stringify(key)}, "version" : ${++this.keptVersion}}]`));
      return this.kept.get(key)!;
    });
  }

  @MessagePattern(S.slow)
  slow(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, async () => {
      await new Promise<void>((r) => this.releaseSlow.push(r));
      return 'too late';
    });
  }

  release() {
    for (const r of this.releaseSlow.splice(0)) r();
  }
}

@Module({})
class EchoModule {
  static forInstance(instance: string, logger: Logger): DynamicModule {
    return {
      module: EchoModule,
      controllers: [EchoController],
      providers: [
        { provide: INSTANCE, useValue: instance },
        { provide: LOGGER, useValue: logger },
      ],
    };
  }
}

/** Every execution of a whoami request, by request id, across all instances in this process. */
const handled = new Map<string, string[]>();

@Controller()
class WhoAmIController {
  constructor(
    @Inject(INSTANCE) private readonly instance: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.whoami)
  whoami(@Payload() envelope: QueryEnvelope<{ requestId: string }>) {
    return replyTo(envelope, this.logger, async () => {
      const { requestId } = envelope.payload;
      handled.set(requestId, [...(handled.get(requestId) ?? []), this.instance]);
      await sleep(5 + Math.random() * 20); // keep both instances busy at once
      return { requestId, instance: this.instance };
    });
  }
}

@Module({})
class WhoAmIModule {
  static forInstance(instance: string, logger: Logger): DynamicModule {
    return {
      module: WhoAmIModule,
      controllers: [WhoAmIController],
      providers: [
        { provide: INSTANCE, useValue: instance },
        { provide: LOGGER, useValue: logger },
      ],
    };
  }
}

/** A NATS microservice whose subscriptions the server has registered before it is used. */
async function natsMicroservice(module: DynamicModule, queue: string, name: string, prefix = ''): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, { ...natsServerOptions(TEST_NATS_URL, queue, name, prefix), logger: false });
  await app.listen();
  await app.unwrap<NatsConnection>().flush();
  return app;
}

interface Transport {
  bus: MessageBus;
  controller: EchoController;
  lines: Record<string, unknown>[];
  instance: string;
}

/** What a user of either bus sees: the same answers, the same errors. */
function requestReplyContract(name: string, start: () => Promise<Transport & { close: () => Promise<void> }>) {
  describe(`${name}: request/reply`, () => {
    let t: Transport & { close: () => Promise<void> };
    beforeAll(async () => {
      t = await start();
    });
    afterAll(async () => {
      t?.controller.release();
      await t?.close();
    });

    it('turns an answer too large for the bus into PAYLOAD_TOO_LARGE at once, not a time-out', async () => {
      const started = Date.now();
      const error = await rejectionOf(t.bus.request(S.echo, query({ text: 'x'.repeat(920 * 1024) }), 5_000));
      expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/more than the 921600 bytes the message bus carries/) });
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it("returns the handler's value", async () => {
      const answer = await t.bus.request<{ payload: unknown; actor: unknown; instance: string }>(S.echo, query({ text: 'hello', n: 42, list: [1, 'two', null] }));
      expect(answer).toEqual({
        payload: { text: 'hello', n: 42, list: [1, 'two', null] },
        actor: { kind: 'system', name: 'message-bus-spec' },
        instance: t.instance,
      });
    });

    it('answers concurrent requests each with its own value', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => t.bus.request<{ payload: { i: number } }>(S.echo, query({ i }))),
      );
      expect(answers.map((a) => a.payload.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it("delivers a handler's AutocoderError to the caller as an AutocoderError with its code, message and details", async () => {
      const error = await rejectionOf(t.bus.request(S.domainError, query({ name: 'ghost' })));
      expect(error).toBeInstanceOf(AutocoderError);
      expect(error.code).toBe(ErrorCodes.NotFound);
      expect(error.message).toBe('no agent named ghost');
      expect(error.details).toEqual([{ path: 'payload.name', message: 'unknown' }]);
    });

    it('turns a non-domain exception into INTERNAL without leaking its message, and logs it under the correlation id', async () => {
      const correlationId = randomUUID();
      const error = await rejectionOf(t.bus.request(S.crash, query({}, correlationId)));
      expect(error).toBeInstanceOf(AutocoderError);
      expect(error.code).toBe(ErrorCodes.Internal);
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('could not connect');
      expect(error.message).toContain(correlationId);
      // The real cause is in the service log, findable by the id the caller was given.
      const logged = t.lines.find((l) => l.correlationId === correlationId && l.level === 50);
      expect(JSON.stringify(logged)).toContain('hunter2');
    });

    it('gives UNAVAILABLE for a subject no one serves, within the timeout passed', async () => {
      const started = Date.now();
      const error = await rejectionOf(t.bus.request(S.nobody, query({}), 1_500));
      expect(error).toBeInstanceOf(AutocoderError);
      expect(error.code).toBe(ErrorCodes.Unavailable);
      expect(error.message).toContain(S.nobody);
      expect(Date.now() - started).toBeLessThan(1_500 + 500);
    });

    it('gives UNAVAILABLE when the handler does not answer within the timeout passed, and a late answer reaches no one', async () => {
      const started = Date.now();
      const error = await rejectionOf(t.bus.request(S.slow, query({}), 300));
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(AutocoderError);
      expect(error.code).toBe(ErrorCodes.Unavailable);
      expect(error.message).toContain('300 ms');
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(300 + 1_000);

      t.controller.release();
      await sleep(50);
      const next = await t.bus.request<{ payload: unknown }>(S.echo, query({ after: 'timeout' }));
      expect(next.payload).toEqual({ after: 'timeout' });
    });

    it('delivers an answer the handler holds as JSON text as the value it stands for, a copy for each caller', async () => {
      type Row = { id: number; name: string; tags: string[]; meta: { x: null; pad: string } };
      const [first, second] = await Promise.all([t.bus.request<Row[]>(S.jsonText, query({ rows: 3 })), t.bus.request<Row[]>(S.jsonText, query({ rows: 3 }))]);
      expect(first).toEqual([0, 1, 2].map((i) => ({ id: i, name: `row "${i}" é`, tags: ['a', 'b'], meta: { x: null, pad: '' } })));
      expect(JSON.stringify(first)).toBe(JSON.stringify(second));
      first[0].tags.push('changed by one caller');
      expect(second[0].tags).toEqual(['a', 'b']);
      expect(await t.bus.request<Row[]>(S.jsonText, query({ rows: 0 }))).toEqual([]);
    });

    it('requestJson answers what request answers, JSON text as the text the handler had, and fails as request fails', async () => {
      type Row = { id: number; name: string };
      const answer = await t.bus.requestJson<Row[]>(S.jsonText, query({ rows: 2 }));
      expect(answer).toBeInstanceOf(JsonText);
      // The handler's text itself, Postgres's spacing and all: nothing parsed or written again, on either transport.
      expect((answer as JsonText<Row[]>).text).toBe(
        '[{"id" : 0, "name" : "row \\"0\\" \\u00e9", "tags": ["a", "b"], "meta": {"x": null, "pad": ""}}, {"id" : 1, "name" : "row \\"1\\" \\u00e9", "tags": ["a", "b"], "meta": {"x": null, "pad": ""}}]',
      );
      expect((answer as JsonText<Row[]>).parse()).toEqual(await t.bus.request<Row[]>(S.jsonText, query({ rows: 2 })));
      expect(await t.bus.requestJson(S.echo, query({ text: 'plain' }))).toMatchObject({ payload: { text: 'plain' } });
      const error = await rejectionOf(t.bus.requestJson(S.domainError, query({ name: 'ghost' })));
      expect(error).toBeInstanceOf(AutocoderError);
      expect(error).toMatchObject({ code: ErrorCodes.NotFound, message: 'no agent named ghost' });
    });

    it('requestJson hands a kept answer over as the same JsonText until the handler has a new one, each query its own', async () => {
      type Kept = { key: string; version: number }[];
      const ask = async (key: string, renew = false) => (await t.bus.requestJson<Kept>(S.keptJsonText, query({ key, renew }))) as JsonText<Kept>;
      const first = await ask('a');
      const other = await ask('b');
      expect(first).toBeInstanceOf(JsonText);
      expect(first.parse()[0].key).toBe('a');
      expect(other.parse()[0].key).toBe('b');
      // In process the handler's own JsonText; over NATS the one the bus holds, the reply naming it by its tag.
      expect(await ask('a')).toBe(first);
      expect(await ask('b')).toBe(other);
      const renewed = await ask('a', true);
      expect(renewed.tag).not.toBe(first.tag);
      expect(renewed.parse()).toEqual([{ key: 'a', version: first.parse()[0].version + 2 }]);
      const next = await ask('a');
      expect(next.tag).toBe(renewed.tag);
      expect(await ask('a')).toBe(next);
      // `request` still answers the value itself.
      expect(await t.bus.request<Kept>(S.keptJsonText, query({ key: 'a' }))).toEqual(renewed.parse());
      const error = await rejectionOf(t.bus.requestJson(S.domainError, query({ name: 'ghost' })));
      expect(error).toMatchObject({ code: ErrorCodes.NotFound });
    });

    it('counts the bytes of a JSON text answer against the bus limit', async () => {
      const fits = await t.bus.request<unknown[]>(S.jsonText, query({ rows: 1, pad: 800 * 1024 }), 5_000);
      expect(fits).toHaveLength(1);
      const error = await rejectionOf(t.bus.request(S.jsonText, query({ rows: 2, pad: 460 * 1024 }), 5_000));
      expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/more than the 921600 bytes the message bus carries/) });
    });

    it('carries payloads as JSON copies: the handler mutating what it received does not touch the caller, nor the caller the handler', async () => {
      const sent: Doc = { items: [1, 2], nested: { name: 'original' }, when: new Date(0), dropped: undefined };
      const answer = await t.bus.request<{ doc: Doc; whenType: string; hasDropped: boolean }>(S.mutate, query(sent));

      // The handler saw JSON: a Date became its ISO string, an undefined field vanished.
      expect(answer.whenType).toBe('string');
      expect(answer.hasDropped).toBe(false);
      expect(answer.doc).toEqual({ items: [1, 2, 99], nested: { name: 'changed by the handler' }, when: '1970-01-01T00:00:00.000Z' });
      // The caller's object is untouched.
      expect(sent.items).toEqual([1, 2]);
      expect(sent.nested.name).toBe('original');
      expect(sent.when).toBeInstanceOf(Date);
      // And the answer is a copy too: mutating it does not reach into the handler's object.
      answer.doc.items.push(1000);
      answer.doc.nested.name = 'changed by the caller';
      expect(t.controller.returned).toEqual({ items: [1, 2, 99], nested: { name: 'changed by the handler' }, when: '1970-01-01T00:00:00.000Z' });
    });
  });
}

/** Broadcast as subscribers see it; `subscribers` are separate connections where the transport has them. */
function broadcastContract(name: string, start: () => Promise<{ publisher: MessageBus; subscribers: [MessageBus, MessageBus]; close: () => Promise<void> }>) {
  describe(`${name}: broadcast`, () => {
    let t: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      t = await start();
    });
    afterAll(async () => {
      await t?.close();
    });

    /** Subscribes on both connections and waits until both are known to be receiving. */
    async function subscribeBoth<T extends { kind: string }>(subject: string, a: T[], b: T[], handlers?: [(p: T) => void, (p: T) => void]) {
      const warm = [false, false];
      const unsubscribe = t.subscribers.map((bus, i) =>
        bus.subscribe<T>(subject, (payload) => {
          if (payload.kind === 'probe') warm[i] = true;
          else {
            (i === 0 ? a : b).push(payload);
            handlers?.[i](payload);
          }
        }),
      );
      const deadline = Date.now() + 5_000;
      while (!warm[0] || !warm[1]) {
        if (Date.now() > deadline) throw new Error('subscriptions never became active');
        t.publisher.publish(subject, { kind: 'probe' });
        await sleep(20);
      }
      return unsubscribe;
    }

    it('reaches every subscriber with each of N messages, in order; unsubscribe stops delivery to that subscriber only', async () => {
      const subject = `test.${RUN}.notify.${randomBytes(3).toString('hex')}`;
      type Note = { kind: string; seq: number; body: { text: string } };
      const a: Note[] = [];
      const b: Note[] = [];
      const [unsubscribeA, unsubscribeB] = await subscribeBoth<Note>(subject, a, b);

      const N = 25;
      for (let seq = 0; seq < N; seq++) t.publisher.publish(subject, { kind: 'note', seq, body: { text: `note ${seq}` } });
      await until('both subscribers received every message', () => a.length >= N && b.length >= N);
      await sleep(100); // nothing more arrives: each message exactly once per subscriber
      const expected = Array.from({ length: N }, (_, seq) => ({ kind: 'note', seq, body: { text: `note ${seq}` } }));
      expect(a).toEqual(expected);
      expect(b).toEqual(expected);

      unsubscribeA();
      for (let seq = N; seq < N + 5; seq++) t.publisher.publish(subject, { kind: 'note', seq, body: { text: `note ${seq}` } });
      await until('the remaining subscriber received the later messages', () => b.length >= N + 5);
      await sleep(200);
      expect(a).toHaveLength(N);
      expect(b.map((n) => n.seq)).toEqual(Array.from({ length: N + 5 }, (_, i) => i));

      unsubscribeB();
      t.publisher.publish(subject, { kind: 'note', seq: 999, body: { text: 'after both left' } });
      await sleep(200);
      expect(a).toHaveLength(N);
      expect(b).toHaveLength(N + 5);
    });

    it('gives each subscriber its own copy of the payload, taken when it was published', async () => {
      const subject = `test.${RUN}.copies.${randomBytes(3).toString('hex')}`;
      type Note = { kind: string; seen: string[] };
      const a: Note[] = [];
      const b: Note[] = [];
      const unsubscribe = await subscribeBoth<Note>(subject, a, b, [(p) => p.seen.push('a'), (p) => p.seen.push('b')]);

      const sent: Note = { kind: 'note', seen: [] };
      t.publisher.publish(subject, sent);
      sent.seen.push('publisher, after publishing');
      await until('both received it', () => a.length === 1 && b.length === 1);
      expect(a[0].seen).toEqual(['a']);
      expect(b[0].seen).toEqual(['b']);
      expect(sent.seen).toEqual(['publisher, after publishing']);
      unsubscribe.forEach((u) => u());
    });

    it('a subscriber that throws does not stop the others, nor later messages', async () => {
      const subject = `test.${RUN}.throws.${randomBytes(3).toString('hex')}`;
      type Note = { kind: string; seq: number };
      const a: Note[] = [];
      const b: Note[] = [];
      const unsubscribe = await subscribeBoth<Note>(subject, a, b, [
        () => {
          throw new Error('a subscriber bug');
        },
        () => undefined,
      ]);
      for (let seq = 0; seq < 3; seq++) t.publisher.publish(subject, { kind: 'note', seq });
      await until('both received all three', () => a.length === 3 && b.length === 3);
      expect(b.map((n) => n.seq)).toEqual([0, 1, 2]);
      unsubscribe.forEach((u) => u());
    });
  });
}

describe('InProcessBroker served by InProcessServer', () => {
  requestReplyContract('in-process', async () => {
    const broker = new InProcessBroker();
    const { logger, lines } = capturingLogger();
    const app: INestApplication = await NestFactory.create(EchoModule.forInstance('in-process', logger), { logger: false });
    app.connectMicroservice({ strategy: new InProcessServer(broker) });
    await app.startAllMicroservices();
    await app.init();
    return {
      bus: broker,
      controller: app.get(EchoController),
      lines,
      instance: 'in-process',
      close: async () => {
        await app.close();
        await broker.close();
      },
    };
  });

  broadcastContract('in-process', async () => {
    const broker = new InProcessBroker();
    return { publisher: broker, subscribers: [broker, broker], close: () => broker.close() };
  });
});

describeWith({ nats: true }, 'NatsMessageBus against NATS with a Nest NATS server', () => {
  requestReplyContract('NATS', async () => {
    const { logger, lines } = capturingLogger();
    const app = await natsMicroservice(EchoModule.forInstance('nats-echo', logger), `test-${RUN}-echo`, `spec-echo-${RUN}`);
    const bus = await NatsMessageBus.connect(TEST_NATS_URL, `spec-client-${RUN}`);
    return {
      bus,
      controller: app.get(EchoController),
      lines,
      instance: 'nats-echo',
      close: async () => {
        await bus.close();
        await app.close();
      },
    };
  });

  describe('what crosses NATS for a JSON text answer', () => {
    let app: INestMicroservice;
    let connection: NatsConnection;
    beforeAll(async () => {
      app = await natsMicroservice(EchoModule.forInstance('nats-wire', pino({ level: 'silent' })), `test-${RUN}-wire`, `spec-wire-${RUN}`);
      connection = await connect({ servers: TEST_NATS_URL, name: `spec-wire-client-${RUN}` });
    });
    afterAll(async () => {
      await connection.close();
      await app.close();
    });
    /** A request as Nest's client packs it, and the reply's bytes as they arrive. */
    const raw = async (data: unknown) => {
      const reply = await connection.request(S.keptJsonText, new TextEncoder().encode(JSON.stringify({ pattern: S.keptJsonText, data, id: randomUUID() })), { timeout: 5_000 });
      return new TextDecoder().decode(reply.data);
    };

    it('the text itself, with its byte length and tag in front; only the tag when the caller names the answer it holds', async () => {
      const envelope = query({ key: `wire-${RUN}` });
      const full = await raw(envelope);
      const text = `[{"key" : "wire-${RUN}", "version" : 1}]`;
      expect(full).toMatch(new RegExp(`^\\{"jsonText":\\{"bytes":${text.length},"tag":"[^"]+"\\},.*"response":\\{"ok":true,"value":${text.replace(/[[\]{}]/g, '\\$&')}\\}\\}$`));
      const tag = JSON.parse(full).jsonText.tag as string;
      const same = JSON.parse(await raw({ ...envelope, hasAnswer: tag }));
      expect(same.response).toEqual({ ok: true, sameAs: tag });
      expect(JSON.stringify(same)).not.toContain('version');
      // A tag the answer does not have: the text again.
      expect(JSON.parse(await raw({ ...envelope, hasAnswer: 'some other tag' })).response.value).toEqual(JSON.parse(text));
    });
  });

  broadcastContract('NATS, two separate connections', async () => {
    const buses = await Promise.all(['pub', 'sub-a', 'sub-b'].map((n) => NatsMessageBus.connect(TEST_NATS_URL, `spec-${n}-${RUN}`)));
    return {
      publisher: buses[0],
      subscribers: [buses[1], buses[2]],
      close: async () => {
        await Promise.all(buses.map((b) => b.close()));
      },
    };
  });

  describe('two server instances in the same queue group', () => {
    const apps: INestMicroservice[] = [];
    let bus: NatsMessageBus;

    beforeAll(async () => {
      const logger = pino({ level: 'silent' });
      const queue = `test-${RUN}-whoami`;
      apps.push(await natsMicroservice(WhoAmIModule.forInstance('instance-1', logger), queue, `spec-whoami-1-${RUN}`));
      apps.push(await natsMicroservice(WhoAmIModule.forInstance('instance-2', logger), queue, `spec-whoami-2-${RUN}`));
      bus = await NatsMessageBus.connect(TEST_NATS_URL, `spec-whoami-client-${RUN}`);
    });

    afterAll(async () => {
      await bus?.close();
      await Promise.all(apps.map((a) => a.close()));
    });

    it('share 40 requests: each is answered once, by one instance, and both instances take part', async () => {
      handled.clear();
      const ids = Array.from({ length: 40 }, () => randomUUID());

      const answers = await Promise.all(
        ids.map((requestId) => bus.request<{ requestId: string; instance: string }>(S.whoami, query({ requestId }), 5_000)),
      );
      await sleep(200); // a second delivery of any request would have been handled by now

      expect(answers.map((a) => a.requestId)).toEqual(ids);
      expect([...handled.keys()].sort()).toEqual([...ids].sort());
      for (const [i, requestId] of ids.entries()) {
        expect(handled.get(requestId)).toEqual([answers[i].instance]);
      }
      const perInstance = { 'instance-1': 0, 'instance-2': 0 } as Record<string, number>;
      for (const a of answers) perInstance[a.instance] += 1;
      expect(perInstance['instance-1'] + perInstance['instance-2']).toBe(40);
      expect(perInstance['instance-1']).toBeGreaterThanOrEqual(1);
      expect(perInstance['instance-2']).toBeGreaterThanOrEqual(1);
    });
  });

  describe('subject prefixes', () => {
    const apps: INestMicroservice[] = [];
    const buses: NatsMessageBus[] = [];

    afterAll(async () => {
      await Promise.all(buses.map((b) => b.close()));
      await Promise.all(apps.map((a) => a.close()));
    });

    it('keep installations that share a NATS server and a queue group apart', async () => {
      const logger = pino({ level: 'silent' });
      const queue = `test-${RUN}-prefixed`;
      apps.push(await natsMicroservice(WhoAmIModule.forInstance('install-a', logger), queue, `spec-pa-${RUN}`, `a${RUN}.`));
      apps.push(await natsMicroservice(WhoAmIModule.forInstance('install-b', logger), queue, `spec-pb-${RUN}`, `b${RUN}.`));
      const [a, b] = await Promise.all([
        NatsMessageBus.connect(TEST_NATS_URL, `spec-pa-client-${RUN}`, `a${RUN}.`),
        NatsMessageBus.connect(TEST_NATS_URL, `spec-pb-client-${RUN}`, `b${RUN}.`),
      ]);
      buses.push(a, b);
      for (let i = 0; i < 10; i++) {
        expect((await a.request<{ instance: string }>(S.whoami, query({ requestId: randomUUID() }))).instance).toBe('install-a');
        expect((await b.request<{ instance: string }>(S.whoami, query({ requestId: randomUUID() }))).instance).toBe('install-b');
      }
      const seen: string[] = [];
      b.subscribe<string>(S.whoami + '.note', (m) => seen.push(m));
      await sleep(100);
      a.publish(S.whoami + '.note', 'for a only');
      b.publish(S.whoami + '.note', 'for b');
      await sleep(200);
      expect(seen).toEqual(['for b']);
    });
  });
});
