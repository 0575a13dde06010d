import { nameBasedUuid } from '@autocoder/contracts';

/** A session's model call is reserved once: the id follows from (sessionId, turn), so a retried reserve is the same reservation. */
export const reservationIdOf = (sessionId: string, turn: number): string => nameBasedUuid(`usage/reservation/${sessionId}/${turn}`);
