/** Nest injection tokens of the gateway. */
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');
export const GATEWAY_SETTINGS = Symbol('GATEWAY_SETTINGS');

export interface GatewaySettings {
  adminToken: string;
}
