/** Largest request body the gateway reads, and largest websocket frame; bigger ones are refused unread. */
export const MAX_BODY_BYTES = 1024 * 1024;
