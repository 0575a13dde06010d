import 'reflect-metadata';
import { NatsRecordSerializer } from '@nestjs/microservices/serializers';
import { JsonText, JsonTextNatsSerializer } from '../src';

const decode = (data: unknown) => new TextDecoder().decode(data as Uint8Array);

describe('JsonTextNatsSerializer', () => {
  const text = '[{"id" : 1, "meta": {"a": [1, 2]}}, {"id" : 2, "meta": {}}]';
  const packet = () => ({ id: 'request-1', isDisposed: true, response: { ok: true, value: new JsonText(text) } });

  it('sends JSON text as it is, inside the packet the default serializer would write', () => {
    const sent = decode(new JsonTextNatsSerializer().serialize(packet()).data);
    expect(sent).toContain(`"value":${text}`);
    // What the caller's Nest client decodes: the same as the default serializer's packet (which re-serialises).
    expect(JSON.parse(sent)).toEqual(JSON.parse(decode(new NatsRecordSerializer().serialize(packet()).data)));
    expect(JSON.parse(sent)).toEqual({ id: 'request-1', isDisposed: true, response: { ok: true, value: [{ id: 1, meta: { a: [1, 2] } }, { id: 2, meta: {} }] } });
  });

  it('serialises every other packet as the default serializer does', () => {
    const others = [
      { id: 'r', isDisposed: true, response: { ok: true, value: { rows: [1, 'two', null] } } },
      { id: 'r', isDisposed: true, response: { ok: false, error: { code: 'NOT_FOUND', message: 'no such thing' } } },
      { id: 'r', err: 'There is no matching message handler defined in the remote service.', status: 'error' },
      { pattern: 'coordinator.evt.agent.updated', data: { agentId: 'a' } },
    ];
    for (const p of others) {
      expect(decode(new JsonTextNatsSerializer().serialize(p).data)).toBe(decode(new NatsRecordSerializer().serialize(p).data));
    }
  });
});
