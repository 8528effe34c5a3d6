/**
 * Sends this server's events to the other servers of their rooms (DESIGN "Federation"). As a persist
 * hook it writes, in the transaction that persists each local event, an outbox row for every other
 * server with a member joined to the room (and, for a membership event, the server of its target),
 * and wakes those servers' queues once the event has committed. Events received from other servers
 * are not relayed: their origin sends them to everyone. On start, destinations with events waiting
 * (a restart, a destination that was down) are resumed.
 */
import type { JsonObject } from '../../../core/canonical-json.ts';
import type { RoomEvent } from '../../../core/events/pdu.ts';
import { serverNameOf, type EventId, type UserId } from '../../../core/ids/identifiers.ts';
import type { OutboxEntry } from '../../../storage/repositories/federation-outbox.ts';
import type { Repositories, Storage } from '../../../storage/storage.ts';
import type { EventStore } from '../../rooms/event-store.ts';
import type { StateMap } from '../../rooms/room-states.ts';
import type { AfterCommit, PersistHook } from '../../rooms/timeline.ts';
import { DestinationQueue, type TransactionTransport } from './destination-queue.ts';

const memberPrefix = 'm.room.member\u0000';

export class FederationSender {
  private readonly queues = new Map<string, DestinationQueue>();
  /** The other servers with joined members, per state map (state maps never change). */
  private readonly serversOfState = new WeakMap<StateMap, ReadonlySet<string>>();

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly serverName: string,
    private readonly transport: TransactionTransport,
    private readonly clock: () => number,
    private readonly onError: (destination: string, error: unknown) => void = () => undefined,
  ) {}

  /** Give this to the Timeline: it records, with each local event, where it must be sent. */
  readonly persistHook: PersistHook = async (tx, events) => {
    const entries: OutboxEntry[] = [];
    const afterCommits: Array<AfterCommit | undefined> = [];
    for (const { appended, stateAfter } of events) {
      const { event, streamPosition } = appended;
      if (serverNameOf(event.sender as UserId) !== this.serverName) {
        afterCommits.push(undefined);
        continue;
      }
      const destinations = new Set(await this.remoteServers(tx, stateAfter));
      const target = event.type === 'm.room.member' && event.stateKey !== undefined ? serverNameOf(event.stateKey as UserId) : undefined;
      if (target && target !== this.serverName) destinations.add(target);
      for (const destination of destinations) entries.push({ destination, streamPosition, eventId: event.eventId });
      afterCommits.push(destinations.size === 0 ? undefined : () => destinations.forEach((destination) => this.queue(destination).wake()));
    }
    if (entries.length > 0) await tx.federationOutbox.add(entries);
    return afterCommits;
  };

  /**
   * Sends another server's event to the other servers of the room (after a send_join, the resident
   * server passes the new member's join on): an outbox row for each, after the event's own commit.
   */
  async relay(event: RoomEvent, streamPosition: number, stateAfter: StateMap, except: string): Promise<void> {
    const destinations = [...(await this.remoteServers(this.storage, stateAfter))].filter((server) => server !== except);
    if (destinations.length === 0) return;
    await this.storage.federationOutbox.add(destinations.map((destination) => ({ destination, streamPosition, eventId: event.eventId })));
    for (const destination of destinations) this.queue(destination).wake();
  }

  /** Resumes the destinations with events or EDUs waiting. */
  async start(): Promise<void> {
    for (const destination of await this.storage.federationOutbox.destinations()) this.queue(destination).wake();
  }

  stop(): void {
    for (const queue of this.queues.values()) queue.stop();
  }

  /**
   * A signed request came from `server`: if its queue is waiting out a backoff, the server is back,
   * so what waits for it is sent now rather than when the backoff ends (as Synapse does).
   */
  heardFrom(server: string): void {
    this.queues.get(server)?.retryNow();
  }

  /** Sends an ephemeral EDU (typing, receipts, presence) with the destination's next transaction; a restart loses it. */
  sendEdu(destination: string, edu: JsonObject): void {
    if (destination !== this.serverName) this.queue(destination).addEdu(edu);
  }

  /**
   * Records EDUs that must reach their destination even across a restart (to-device messages, device
   * list updates) in `tx`; call the returned function once it has committed to send them.
   */
  async queueEdus(tx: Repositories, edus: ReadonlyArray<{ destination: string; edu: JsonObject }>): Promise<AfterCommit> {
    const remote = edus.filter(({ destination }) => destination !== this.serverName);
    await tx.federationOutbox.addEdus(remote);
    return () => new Set(remote.map(({ destination }) => destination)).forEach((destination) => this.queue(destination).wake());
  }

  private queue(destination: string): DestinationQueue {
    let queue = this.queues.get(destination);
    if (!queue) {
      queue = new DestinationQueue(destination, {
        serverName: this.serverName,
        transport: this.transport,
        clock: this.clock,
        nextEvents: (to, limit) => this.storage.federationOutbox.next(to, limit),
        nextEdus: (to, limit) => this.storage.federationOutbox.nextEdus(to, limit),
        pdusOf: async (entries) => {
          const events = await this.eventStore.localEvents(entries.map((entry) => entry.eventId));
          return entries.flatMap((entry) => events.get(entry.eventId as EventId)?.event.pdu ?? []);
        },
        delivered: async (to, sent) => {
          await this.storage.federationOutbox.remove(to, sent.events);
          await this.storage.federationOutbox.removeEdus(to, sent.edus);
        },
        onError: this.onError,
      });
      this.queues.set(destination, queue);
    }
    return queue;
  }

  /** The servers other than this one with a member joined in `state`. */
  private async remoteServers(tx: Repositories, state: StateMap): Promise<ReadonlySet<string>> {
    const cached = this.serversOfState.get(state);
    if (cached) return cached;
    const servers = new Set<string>();
    const members = [...state].filter(([key]) => key.startsWith(memberPrefix));
    const remote = members.filter(([key]) => serverNameOf(key.slice(memberPrefix.length) as UserId) !== this.serverName);
    if (remote.length > 0) {
      const events = await this.eventStore.localEvents(remote.map(([, id]) => id), tx);
      for (const [key, id] of remote) {
        if (events.get(id)?.event.content.membership === 'join') servers.add(serverNameOf(key.slice(memberPrefix.length) as UserId)!);
      }
    }
    this.serversOfState.set(state, servers);
    return servers;
  }
}
