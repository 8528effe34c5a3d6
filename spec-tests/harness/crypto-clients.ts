/**
 * matrix-js-sdk clients with end-to-end encryption (the Rust crypto stack, matrix-sdk-crypto-wasm,
 * with an in-memory store) for spec tests: started as a real client starts, observed through the
 * SDK's events and the HTTP requests the client makes, and stopped together in an after() hook.
 */
import { ClientEvent, createClient, MatrixError, MatrixEventEvent, RoomEvent, RoomStateEvent, SyncState, type MatrixClient, type UIAuthCallback } from 'matrix-js-sdk';
import { LoggerLevel, Tracing } from '@matrix-org/matrix-sdk-crypto-wasm';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { logger as sdkGlobalLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import { fetch as undiciFetch } from 'undici';
import type { TestUser } from './accounts.ts';
import type { TestHomeserver } from './homeserver.ts';
import { rawRequest, testAgent } from './requests.ts';

/** A request the client made and the status it got back. */
export interface ObservedRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface CryptoTestClient {
  client: MatrixClient;
  user: TestUser;
  /** Every request the client made, in order of completion. */
  requests: ObservedRequest[];
  /** The server it talks to. */
  server: TestHomeserver;
  /** The `next_batch` of the last /sync response the client has finished processing. */
  syncToken?: string;
}

const quietLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (...args) => console.error('[matrix-js-sdk]', ...args),
  getChild: () => quietLogger,
};

/**
 * The SDK's internal loggers (one child per room encryptor, RTC manager...) each start at debug level
 * and copy the root's method factory when created: give the root one that keeps errors only, minus one
 * the SDK logs when its own createRoom answer overtakes the room's arrival in /sync.
 */
const sdkRoot = sdkGlobalLogger as unknown as { methodFactory: (method: string) => (...args: unknown[]) => void; rebuild(): void };
sdkRoot.methodFactory = (method) => (...args) => {
  if (method !== 'error' || args.some((arg) => String(arg).includes('Got room state event for unknown room'))) return;
  console.error('[matrix-js-sdk]', ...args);
};
sdkRoot.rebuild();

/**
 * The SDK turns the Rust crypto's tracing on at debug level (through console.debug/info) on every
 * initialisation, and a later level change does not always hold: mute those while any crypto client
 * lives, and keep errors only.
 */
let liveCryptoClients = 0;
const consoleDebug = console.debug;
const consoleInfo = console.info;
function cryptoClientStarted(): void {
  if (liveCryptoClients++ === 0) console.debug = console.info = () => {};
}
function cryptoClientStopped(): void {
  if (--liveCryptoClients === 0) {
    console.debug = consoleDebug;
    console.info = consoleInfo;
  }
}
async function initRustCryptoQuietly(client: MatrixClient): Promise<void> {
  await client.initRustCrypto({ useIndexedDB: false });
  new Tracing(LoggerLevel.Error).turnOn();
}

/** Emitted on a client (by this harness) after each HTTP answer it gets. */
const requestEvent = 'harness.request';

// What the client reacts to, and so what may make a waited-for condition true.
const wakingEvents = [
  ClientEvent.Sync,
  ClientEvent.ToDeviceEvent,
  RoomEvent.Timeline,
  RoomStateEvent.Members,
  MatrixEventEvent.Decrypted,
  CryptoEvent.DevicesUpdated,
  CryptoEvent.KeysChanged,
  CryptoEvent.UserTrustStatusChanged,
  requestEvent,
] as const;

/** Starts and stops crypto clients; `stopAll` belongs in an after() hook. */
export class CryptoClients {
  private readonly started: CryptoTestClient[] = [];

  /**
   * The start-up of a real client: Rust crypto initialised (which queues the device keys and
   * one-time keys upload), then sync until PREPARED.
   */
  async start(server: TestHomeserver, user: TestUser): Promise<CryptoTestClient> {
    const requests: ObservedRequest[] = [];
    const dispatcher = server.baseUrl.startsWith('https:') ? await testAgent() : undefined;
    let client: MatrixClient | undefined;
    const fetchFn = async (input: unknown, init?: { method?: string; body?: unknown }) => {
      const response = await undiciFetch(input as string, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1]);
      const url = new URL(String(input));
      requests.push({ method: init?.method ?? 'GET', path: url.pathname, status: response.status, body: typeof init?.body === 'string' ? safeJson(init.body) : undefined });
      // Let waiters re-check after the SDK has read the answer.
      setImmediate(() => (client as unknown as { emit(event: string): boolean } | undefined)?.emit(requestEvent));
      return response;
    };
    client = createClient({
      baseUrl: server.baseUrl,
      userId: user.userId,
      deviceId: user.deviceId,
      accessToken: user.accessToken,
      fetchFn: fetchFn as unknown as typeof fetch,
      logger: quietLogger,
    });
    // The SDK arms a timer for each request's local timeout and never clears it, which would hold the
    // test process open for up to 110 s after the clients stop; the tests have timeouts of their own.
    const http = client.http as unknown as { requestOtherUrl: (method: unknown, url: unknown, body?: unknown, opts?: object) => Promise<unknown> };
    const send = http.requestOtherUrl.bind(http);
    http.requestOtherUrl = (method, url, body, opts) => send(method, url, body, { ...opts, localTimeoutMs: undefined });
    const entry: CryptoTestClient = { client, user, requests, server };
    client.on(ClientEvent.Sync, (_state, _previous, data) => {
      if (data?.nextSyncToken) entry.syncToken = data.nextSyncToken;
    });
    this.started.push(entry);
    cryptoClientStarted();
    await initRustCryptoQuietly(client);
    const prepared = waitFor(client, 'the first sync (PREPARED)', () => client.getSyncState() === SyncState.Prepared || client.getSyncState() === SyncState.Syncing);
    await client.startClient({ initialSyncLimit: 20 });
    await prepared;
    return entry;
  }

  stopAll(): void {
    for (const { client } of this.started.splice(0)) {
      client.stopClient();
      cryptoClientStopped();
      // The SDK keeps a 5-minute timer per live event that failed to decrypt, in case its key arrives;
      // none will, so release them, or they hold the test process open.
      for (const room of client.getRooms()) {
        for (const event of room.getLiveTimeline().getEvents()) if (event.isDecryptionFailure()) event.emit(MatrixEventEvent.Decrypted, event);
      }
    }
  }
}

/**
 * Resolves with the first truthy value of `check`, evaluated now and after each sync, timeline,
 * decryption, device-list, cross-signing or HTTP event of `client`: no sleeps, no polling.
 */
export function waitFor<T>(client: MatrixClient, what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  return new Promise((resolve, reject) => {
    let running = false;
    let again = false;
    const emitter = client as unknown as { on(event: string, listener: () => void): void; off(event: string, listener: () => void): void };
    const done = (finish: () => void) => {
      clearTimeout(timer);
      for (const event of wakingEvents) emitter.off(event, evaluate);
      finish();
    };
    const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
    // Checks may be asynchronous: never two at once, and one more if an event came in meanwhile.
    async function evaluate(): Promise<void> {
      if (running) return void (again = true);
      running = true;
      try {
        do {
          again = false;
          const value = await check();
          if (value) return done(() => resolve(value as NonNullable<T>));
        } while (again);
      } catch (error) {
        done(() => reject(error as Error));
      } finally {
        running = false;
      }
    }
    for (const event of wakingEvents) emitter.on(event, evaluate);
    void evaluate();
  });
}

/**
 * Resolves once the client has processed every change to the device lists of `userIds` the server
 * has recorded (GET /keys/changes from its sync token to the server's latest lists none of them) and
 * has the answers to the key queries they caused. A client that resets its cross-signing keys while a
 * query is still to come would be told the old keys and drop its new ones.
 */
export async function waitForDeviceListsSettled(entry: CryptoTestClient, userIds: readonly string[]): Promise<void> {
  const api = (path: string) => rawRequest(entry.server.baseUrl, `/_matrix/client/v3${path}`, { accessToken: entry.user.accessToken });
  const latest = (await api(`/sync?timeout=0&filter=${encodeURIComponent(JSON.stringify({ room: { rooms: [] } }))}`)).json.next_batch as string;
  await waitFor(entry.client, `the device lists of ${userIds.join(', ')} to settle`, async () => {
    if (!entry.syncToken) return false;
    const changes = (await api(`/keys/changes?${new URLSearchParams({ from: entry.syncToken, to: latest })}`)).json as { changed: string[] };
    if (userIds.some((userId) => changes.changed.includes(userId))) return false;
    // Waits for the queries the processed syncs made outdated (up to a second each).
    await entry.client.getCrypto()!.getUserDeviceInfo([...userIds]);
    return true;
  });
}

/** User-interactive authentication with the user's password, as a client asks for it after a 401. */
export function passwordAuthentication(user: TestUser, rounds: { count: number } = { count: 0 }): UIAuthCallback<void> {
  return async (makeRequest) => {
    try {
      await makeRequest(null);
    } catch (error) {
      if (!(error instanceof MatrixError) || error.httpStatus !== 401) throw error;
      rounds.count++;
      const session = (error.data as { session?: string }).session;
      await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, session });
    }
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
