import { NatsRecordSerializer } from '@nestjs/microservices/serializers';
import { JsonText } from './reply';

type ResponsePacket = { response?: { ok?: unknown; value?: unknown }; [key: string]: unknown };

const encoder = new TextEncoder();

/**
 * Nest's NATS serializer, except that a reply holding JSON text goes out with the text spliced in
 * as it is: the packet is the same JSON the default would write, without parsing and re-serialising
 * the value first. The caller's Nest client decodes it as any other reply.
 */
export class JsonTextNatsSerializer extends NatsRecordSerializer {
  override serialize(packet: unknown) {
    const response = (packet as ResponsePacket | undefined)?.response;
    if (!(response?.value instanceof JsonText)) return super.serialize(packet);
    const { response: _response, ...rest } = packet as ResponsePacket;
    const head = JSON.stringify({ ...rest, response: { ok: response.ok } }).slice(0, -2);
    return { data: encoder.encode(`${head},"value":${response.value.text}}}`), headers: undefined };
  }
}
