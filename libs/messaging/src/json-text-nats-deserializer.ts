import type { IncomingResponse } from '@nestjs/microservices';
import { NatsResponseJSONDeserializer } from '@nestjs/microservices/deserializers';
import { JSON_TEXT_PACKET_START } from './json-text-nats-serializer';
import { JsonText } from './reply';

const START = new TextEncoder().encode(JSON_TEXT_PACKET_START);
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const CLOSE_BRACE = 0x7d;

type JsonTextPacket = { jsonText?: { bytes?: unknown; tag?: unknown }; response?: { ok?: unknown; value?: unknown }; [key: string]: unknown };

/**
 * The caller's side of JsonTextNatsSerializer: a reply whose value the service sent as JSON text
 * arrives with that value as a JsonText (the text as it was sent, and its tag), parsed by nobody; only
 * the small head of the packet is parsed. Every other packet is decoded as Nest's default decodes it.
 */
export class JsonTextNatsDeserializer extends NatsResponseJSONDeserializer {
  override deserialize(value: Uint8Array, options?: Record<string, unknown>): IncomingResponse {
    return (packetWithJsonText(value) as IncomingResponse | undefined) ?? super.deserialize(value, options);
  }
}

/** The packet with its value as JsonText, or undefined when `data` is not such a packet (then it is decoded the default way). */
export function packetWithJsonText(data: Uint8Array): Record<string, unknown> | undefined {
  if (!(data instanceof Uint8Array) || data.length < START.length + 3) return undefined;
  for (let i = 0; i < START.length; i++) if (data[i] !== START[i]) return undefined;
  let bytes = 0;
  let at = START.length;
  while (at < data.length && at - START.length < 16 && data[at] >= DIGIT_0 && data[at] <= DIGIT_9) bytes = bytes * 10 + (data[at++] - DIGIT_0);
  const valueStart = data.length - 2 - bytes;
  if (at === START.length || valueStart <= at || data[data.length - 1] !== CLOSE_BRACE || data[data.length - 2] !== CLOSE_BRACE) return undefined;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.length);
  let head: JsonTextPacket;
  try {
    head = JSON.parse(`${buffer.toString('utf8', 0, valueStart)}null}}`) as JsonTextPacket;
  } catch {
    return undefined;
  }
  const { jsonText, ...packet } = head;
  if (jsonText?.bytes !== bytes || typeof jsonText.tag !== 'string' || !packet.response || packet.response.value !== null) return undefined;
  packet.response.value = new JsonText(buffer.toString('utf8', valueStart, data.length - 2), jsonText.tag);
  return packet;
}
