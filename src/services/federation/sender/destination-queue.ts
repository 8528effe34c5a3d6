/**
 * One destination server's queue (server-server-api "Transactions"; DESIGN "Federation"): at most one
 * transaction in flight, carrying up to 50 PDUs (oldest first, from the persisted outbox) and 100 EDUs:
 * first those that must survive a restart (to-device messages, device list updates: persisted like the
 * PDUs), then the ephemeral ones held in memory (typing, receipts, presence). A failed transaction is retried as it was (same transaction ID,
 * so a destination that did receive it answers without processing it twice) after a backoff that
 * doubles up to an hour, with jitter so a server coming back is not hit by every sender at once. A
 * destination that was down catches up from its outbox, 50 events at a time.
 */
import type { JsonObject } from '../../../core/canonical-json.ts';
import type { OutboxEdu, OutboxEntry } from '../../../storage/repositories/federation-outbox.ts';

const maxPdus = 50;
const maxEdus = 100;
const firstRetryMs = 2_000;
const maxRetryMs = 3_600_000;

export interface TransactionTransport {
  request<T>(request: { method: 'PUT'; destination: string; path: string; body: JsonObject; signed: true }): Promise<{ status: number; json: T }>;
}

/** What the queue needs from the rest of the server. */
export interface QueueContext {
  serverName: string;
  transport: TransactionTransport;
  clock: () => number;
  nextEvents(destination: string, limit: number): Promise<OutboxEntry[]>;
  nextEdus(destination: string, limit: number): Promise<OutboxEdu[]>;
  pdusOf(entries: readonly OutboxEntry[]): Promise<JsonObject[]>;
  /**
   * The transaction was accepted: its persisted events and EDUs can go (by their keys, not "up to":
   * a row written by a transaction that committed late can have a smaller key and not be sent yet).
   */
  delivered(destination: string, sent: { events: number[]; edus: number[] }): Promise<void>;
  onError(destination: string, error: unknown): void;
}

interface Transaction {
  txnId: string;
  pdus: JsonObject[];
  edus: JsonObject[];
  /** The outbox keys of what it carries: the events' stream positions and the durable EDUs' IDs. */
  sent: { events: number[]; edus: number[] };
}

let transactionCounter = 0;

export class DestinationQueue {
  private sending = false;
  /** A wake-up while sending: what it announced may have been written after the last read of the outbox. */
  private wokenWhileSending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private inFlight: Transaction | undefined;
  private readonly edus: JsonObject[] = [];
  private stopped = false;

  constructor(
    readonly destination: string,
    private readonly context: QueueContext,
  ) {}

  /** Something was queued for the destination: send unless a transaction is in flight or waiting to be retried. */
  wake(): void {
    if (this.retryTimer || this.stopped) return;
    if (this.sending) this.wokenWhileSending = true;
    else void this.run();
  }

  addEdu(edu: JsonObject): void {
    // EDUs beyond what a long outage can usefully deliver are dropped, oldest first.
    if (this.edus.length >= 10 * maxEdus) this.edus.shift();
    this.edus.push(edu);
    this.wake();
  }

  /** Ends a backoff early: the destination is known to be back. */
  retryNow(): void {
    if (!this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  get backingOff(): boolean {
    return this.retryTimer !== undefined;
  }

  private async run(): Promise<void> {
    this.sending = true;
    try {
      while (!this.stopped) {
        this.wokenWhileSending = false;
        const transaction = this.inFlight ?? (await this.nextTransaction());
        if (!transaction) {
          if (this.wokenWhileSending) continue;
          break;
        }
        this.inFlight = transaction;
        await this.context.transport.request({
          method: 'PUT',
          destination: this.destination,
          path: `/_matrix/federation/v1/send/${encodeURIComponent(transaction.txnId)}`,
          body: { origin: this.context.serverName, origin_server_ts: this.context.clock(), pdus: transaction.pdus, edus: transaction.edus },
          signed: true,
        });
        this.inFlight = undefined;
        this.failures = 0;
        if (transaction.sent.events.length > 0 || transaction.sent.edus.length > 0) await this.context.delivered(this.destination, transaction.sent);
      }
    } catch (error) {
      // Stopping closes the database under a transaction being read: nothing to report or retry.
      if (this.stopped) return;
      this.context.onError(this.destination, error);
      this.failures++;
      const backoff = Math.min(maxRetryMs, firstRetryMs * 2 ** (this.failures - 1));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.wake();
      }, backoff * (0.5 + Math.random() / 2));
    } finally {
      this.sending = false;
    }
  }

  private async nextTransaction(): Promise<Transaction | undefined> {
    const entries = await this.context.nextEvents(this.destination, maxPdus);
    const durable = await this.context.nextEdus(this.destination, maxEdus);
    const edus = [...durable.map((entry) => entry.edu), ...this.edus.splice(0, maxEdus - durable.length)];
    if (entries.length === 0 && edus.length === 0) return undefined;
    return { txnId: `${this.context.clock()}-${++transactionCounter}`, pdus: await this.context.pdusOf(entries), edus, sent: { events: entries.map((entry) => entry.streamPosition), edus: durable.map((entry) => entry.id) } };
  }
}
