/**
 * Incoming transactions (server-server-api "Transactions", PUT /send/{txnId}): each PDU goes through
 * the checks on receipt (PduReceiver); the PDUs of one room in the order sent, rooms side by side.
 * What a PDU's checks lack is fetched from the transaction's origin (PduReceiver).
 * A transaction is processed once per origin and transaction ID: a retry (the origin did not get our
 * answer) gets the same answer. EDUs go to the handler given for their type.
 */
import { lru } from '../../util/lru.ts';
import { isJsonObject, type JsonObject } from '../../core/canonical-json.ts';
import type { PduReceiver } from './inbound-pdu/pdu-receiver.ts';

export interface TransactionBody {
  pdus: readonly unknown[];
  edus?: readonly unknown[];
}

/** The processing result of each PDU by event ID: {} when accepted, an error otherwise. */
export interface TransactionResult {
  pdus: Record<string, { error?: string }>;
}

export type EduHandler = (origin: string, content: JsonObject) => Promise<void>;

export class TransactionReceiver {
  /** Answers by origin and transaction ID, kept while a retry is plausible. */
  private readonly answered = lru<string, Promise<TransactionResult>>(10_000, { ttl: 3_600_000 });
  private readonly eduHandlers = new Map<string, EduHandler>();

  /**
   * `aclAllows`: whether the room's server ACL lets `origin` in (server-server-api "Server Access
   * Control Lists": PDUs of a room whose ACL denies the origin are ignored).
   */
  constructor(
    private readonly pdus: PduReceiver,
    private readonly aclAllows: (origin: string, roomId: string) => Promise<boolean> = async () => true,
  ) {}

  /** Handles the EDUs of `eduType` (m.typing, m.receipt, …); other types are ignored. */
  onEdu(eduType: string, handler: EduHandler): void {
    this.eduHandlers.set(eduType, handler);
  }

  receive(origin: string, txnId: string, body: TransactionBody): Promise<TransactionResult> {
    const key = `${origin}\u0000${txnId}`;
    let answer = this.answered.get(key);
    if (!answer) {
      answer = this.process(origin, body);
      this.answered.set(key, answer);
      // A transaction that failed as a whole may be tried again.
      answer.catch(() => this.answered.delete(key));
    }
    return answer;
  }

  private async process(origin: string, body: TransactionBody): Promise<TransactionResult> {
    const byRoom = new Map<string, unknown[]>();
    for (const pdu of body.pdus) {
      const roomId = isJsonObject(pdu) && typeof pdu.room_id === 'string' ? pdu.room_id : '';
      byRoom.set(roomId, [...(byRoom.get(roomId) ?? []), pdu]);
    }
    const result: TransactionResult = { pdus: {} };
    // Messages are answered before they commit (PduReceiver pipelines them): their commits are awaited below.
    const commits: Promise<unknown>[] = [];
    await Promise.all(
      [...byRoom].map(async ([roomId, pdus]) => {
        const denied = roomId !== '' && !(await this.aclAllows(origin, roomId));
        for (const pdu of pdus) {
          if (denied) {
            const eventId = isJsonObject(pdu) && typeof pdu.event_id === 'string' ? pdu.event_id : undefined;
            if (eventId) result.pdus[eventId] = { error: 'denied by the room\'s server ACL' };
            continue;
          }
          // The origin is asked for what is missing (prev events, auth events, state).
          const outcome = await this.pdus.receive(pdu, origin, commits);
          if (outcome.eventId === undefined) continue;
          result.pdus[outcome.eventId] = outcome.outcome === 'accepted' || outcome.outcome === 'known' ? {} : { error: `${outcome.outcome}: ${outcome.reason}` };
        }
      }),
    );
    // The answer acknowledges the PDUs: they are on disk before it goes.
    await Promise.all(commits);
    await this.pdus.flush();
    for (const edu of body.edus ?? []) {
      if (!isJsonObject(edu) || typeof edu.edu_type !== 'string' || !isJsonObject(edu.content)) continue;
      await this.eduHandlers.get(edu.edu_type)?.(origin, edu.content).catch(() => undefined);
    }
    return result;
  }
}
