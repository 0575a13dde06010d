import 'reflect-metadata';
import { NatsResponseJSONDeserializer } from '@nestjs/microservices/deserializers';
import { NatsRecordSerializer } from '@nestjs/microservices/serializers';
import { JsonText, JsonTextNatsDeserializer, JsonTextNatsSerializer } from '../src';

const decode = (data: unknown) => new TextDecoder().decode(data as Uint8Array);
const encode = (text: string) => new TextEncoder().encode(text);

describe('JsonTextNatsSerializer', () => {
  const text = '[{"id" : 1, "meta": {"a": [1, 2]}}, {"id" : 2, "meta": {}}]';
  const packet = (value = new JsonText(text)) => ({ id: 'request-1', isDisposed: true, response: { ok: true, value } });

  it('sends JSON text as it is, with its byte length and tag in front, inside the packet the default serializer would write', () => {
    const value = new JsonText(text);
    const sent = decode(new JsonTextNatsSerializer().serialize(packet(value)).data);
    expect(sent).toContain(`"value":${text}}}`);
    const { jsonText, ...rest } = JSON.parse(sent);
    expect(jsonText).toEqual({ bytes: text.length, tag: value.tag });
    // What any other Nest client decodes, the extra key aside: the default serializer's packet (which re-serialises).
    expect(rest).toEqual(JSON.parse(decode(new NatsRecordSerializer().serialize(packet()).data)));
    expect(rest).toEqual({ id: 'request-1', isDisposed: true, response: { ok: true, value: [{ id: 1, meta: { a: [1, 2] } }, { id: 2, meta: {} }] } });
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

describe('JsonTextNatsDeserializer', () => {
  const serializer = new JsonTextNatsSerializer();
  const deserializer = new JsonTextNatsDeserializer();

  it('hands the value back as the JSON text that was sent, with its tag, not parsed', () => {
    // Multi-byte characters count in bytes, not UTF-16 units; the text's own spacing is kept.
    const text = '[{"name" : "é \\u00e9 😀 \u2028", "n" : 1.0}, {"name" : "}}", "n" : 1e21}]';
    const value = new JsonText(text, 'agents@42');
    const received = deserializer.deserialize(serializer.serialize({ id: 'request-1', isDisposed: true, response: { ok: true, value } }).data);
    expect(received).toEqual({ id: 'request-1', isDisposed: true, response: { ok: true, value: expect.any(JsonText) } });
    const got = (received.response as { value: JsonText }).value;
    expect(got).not.toBe(value);
    expect(got.text).toBe(text);
    expect(got.tag).toBe('agents@42');
    expect(got.parse()).toEqual(JSON.parse(text));
  });

  it('decodes every other packet as the default deserializer does', () => {
    const others = [
      { id: 'r', isDisposed: true, response: { ok: true, value: { rows: [1, 'two', null] } } },
      { id: 'r', isDisposed: true, response: { ok: false, error: { code: 'NOT_FOUND', message: 'no such thing' } } },
      { id: 'r', err: 'There is no matching message handler defined in the remote service.', status: 'error' },
      { ok: true, value: 'an answer from outside Nest' },
    ];
    for (const p of others) {
      const data = serializer.serialize(p).data;
      expect(deserializer.deserialize(data)).toEqual(new NatsResponseJSONDeserializer().deserialize(data));
    }
  });

  it('decodes a packet that only looks like one with JSON text the default way', () => {
    // A byte count that does not end where the head does: not taken apart, decoded as plain JSON.
    const data = encode('{"jsonText":{"bytes":3,"tag":"t"},"id":"r","isDisposed":true,"response":{"ok":true,"value":[1,2,3,4]}}');
    expect(deserializer.deserialize(data)).toEqual({ jsonText: { bytes: 3, tag: 't' }, id: 'r', isDisposed: true, response: { ok: true, value: [1, 2, 3, 4] } });
  });
});
