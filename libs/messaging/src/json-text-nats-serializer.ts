import { NatsRecordSerializer } from '@nestjs/microservices/serializers';
import { JsonText } from './reply';

type ResponsePacket = { response?: { ok?: unknown; value?: unknown }; [key: string]: unknown };

const encoder = new TextEncoder();
const CLOSE = encoder.encode('}}');

/**
 * How a reply holding JSON text starts on the wire: `{"jsonText":{"bytes":<n>,"tag":<tag>},` then the
 * rest of Nest's packet, the reply's value last, as the n bytes of its text, then `}}`. So the caller
 * finds the value's text without parsing it (JsonTextNatsDeserializer), and any other Nest client
 * still decodes the packet as the default serializer's (the extra key aside).
 */
export const JSON_TEXT_PACKET_START = '{"jsonText":{"bytes":';

/**
 * The UTF-8 of each JsonText sent, while the JsonText lives: a kept answer (the same JsonText on every
 * request) is encoded once. The memory is about the text's own again, for as long as it is kept.
 */
const encoded = new WeakMap<JsonText<unknown>, Uint8Array>();

const bytesOf = (text: JsonText<unknown>) => {
  let bytes = encoded.get(text);
  if (!bytes) encoded.set(text, (bytes = encoder.encode(text.text)));
  return bytes;
};

/**
 * Nest's NATS serializer, except that a reply holding JSON text goes out with the text spliced in
 * as it is, with its length and tag in front (see JSON_TEXT_PACKET_START): the value is not parsed
 * and re-serialised on the way, and the caller can hand it on as text.
 */
export class JsonTextNatsSerializer extends NatsRecordSerializer {
  override serialize(packet: unknown) {
    const response = (packet as ResponsePacket | undefined)?.response;
    if (!(response?.value instanceof JsonText)) return super.serialize(packet);
    const { response: _response, ...rest } = packet as ResponsePacket;
    const value = bytesOf(response.value);
    const head = encoder.encode(`${JSON.stringify({ jsonText: { bytes: value.length, tag: response.value.tag }, ...rest, response: { ok: response.ok } }).slice(0, -2)},"value":`);
    const data = new Uint8Array(head.length + value.length + CLOSE.length);
    data.set(head);
    data.set(value, head.length);
    data.set(CLOSE, head.length + value.length);
    return { data, headers: undefined };
  }
}
