/**
 * The requests this server makes to another server of a room for what it lacks (server-server-api
 * "Backfilling and retrieving missing events", "Retrieving events", "Retrieving event authorisation
 * information"). Answers are shapes to check, not trusted data: anything malformed becomes an empty
 * answer or an error, and every list is cut to a bound, so one server cannot make this one hold or
 * check an unbounded number of events.
 */
import { isJsonObject, type JsonObject } from '../../../core/canonical-json.ts';
import type { FederationRequest } from '../../../federation-client/federation-client.ts';

export interface HistoryRequester {
  request<T>(request: FederationRequest): Promise<{ status: number; json: T }>;
}

/** At most this many state and auth chain event IDs are taken from a /state_ids answer. */
export const maxStateIds = 20_000;
/** At most this many events are taken from an /event_auth answer. */
export const maxAuthChain = 5_000;
/** Timeout of one request: the PDU being received waits for it. */
const requestTimeoutMs = 30_000;
/** Timeout of a backfill: a client's /messages waits for it. */
const backfillTimeoutMs = 15_000;

export class RoomHistoryRequests {
  constructor(private readonly requester: HistoryRequester) {}

  /** POST /get_missing_events/{roomId}: the events between `earliest` and `latest`, oldest first; at most `limit`. */
  async missingEvents(server: string, roomId: string, request: { earliest: readonly string[]; latest: readonly string[]; limit: number; minDepth: number }): Promise<unknown[]> {
    const { json } = await this.send<{ events?: unknown }>(server, 'POST', `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`, {
      earliest_events: [...request.earliest],
      latest_events: [...request.latest],
      limit: request.limit,
      min_depth: request.minDepth,
    });
    return Array.isArray(json.events) ? json.events.slice(0, request.limit) : [];
  }

  /** GET /state_ids/{roomId}?event_id=: the state before the event and its auth chain, as event IDs. */
  async stateIds(server: string, roomId: string, eventId: string): Promise<{ stateIds: string[]; authChainIds: string[] }> {
    const { json } = await this.send<{ pdu_ids?: unknown; auth_chain_ids?: unknown }>(server, 'GET', `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(eventId)}`);
    const stateIds = strings(json.pdu_ids);
    const authChainIds = strings(json.auth_chain_ids);
    if (stateIds.length + authChainIds.length > maxStateIds) throw new Error(`${server} answered /state_ids with more than ${maxStateIds} events`);
    return { stateIds, authChainIds };
  }

  /** GET /state/{roomId}?event_id=: the same as /state_ids, as events. */
  async state(server: string, roomId: string, eventId: string): Promise<unknown[]> {
    const { json } = await this.send<{ pdus?: unknown; auth_chain?: unknown }>(server, 'GET', `/_matrix/federation/v1/state/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(eventId)}`);
    return [...(Array.isArray(json.pdus) ? json.pdus : []), ...(Array.isArray(json.auth_chain) ? json.auth_chain : [])].slice(0, maxStateIds);
  }

  /** GET /event/{eventId}: the event, or undefined when the answer holds none. */
  async event(server: string, eventId: string): Promise<unknown> {
    const { json } = await this.send<{ pdus?: unknown }>(server, 'GET', `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`);
    return Array.isArray(json.pdus) ? json.pdus[0] : undefined;
  }

  /** GET /event_auth/{roomId}/{eventId}: the event's auth chain. */
  async eventAuth(server: string, roomId: string, eventId: string): Promise<unknown[]> {
    const { json } = await this.send<{ auth_chain?: unknown }>(server, 'GET', `/_matrix/federation/v1/event_auth/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`);
    return Array.isArray(json.auth_chain) ? json.auth_chain.slice(0, maxAuthChain) : [];
  }

  /** GET /backfill/{roomId}?v=…&limit=: the events `from` and those before them, at most `limit`. */
  async backfill(server: string, roomId: string, from: readonly string[], limit: number): Promise<unknown[]> {
    const query = [...from.map((id) => `v=${encodeURIComponent(id)}`), `limit=${limit}`].join('&');
    const { json } = await this.send<{ pdus?: unknown }>(server, 'GET', `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${query}`, undefined, backfillTimeoutMs);
    return Array.isArray(json.pdus) ? json.pdus.slice(0, limit) : [];
  }

  private async send<T>(destination: string, method: 'GET' | 'POST', path: string, body?: JsonObject, timeoutMs = requestTimeoutMs): Promise<{ json: Partial<T> }> {
    const { json } = await this.requester.request<T>({ method, destination, path, body, signed: true, timeoutMs });
    if (!isJsonObject(json)) throw new Error(`${destination} answered ${path.split('?')[0]} with something other than a JSON object`);
    return { json };
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
