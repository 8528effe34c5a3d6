/**
 * The composition root: the only place that constructs and wires Lattice's parts. start() brings up
 * crypto, the signing key, the database (migrated), the services and the listeners, in that order;
 * if any step fails, what was started is stopped again, so nothing is left half-running.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createApp } from './api/app.ts';
import type { ApiDependencies } from './api/dependencies.ts';
import { endpoints } from './api/endpoints.ts';
import { HttpListener } from './api/http-listener.ts';
import { RateLimits } from './api/rate-limits.ts';
import type { Config, ResourceName } from './config/schema.ts';
import { initCrypto } from './core/crypto/sodium.ts';
import { isSupportedRoomVersion, supportedRoomVersions } from './core/room-versions/known-versions.ts';
import { ConfigError } from './config/load-config.ts';
import { AccountData } from './services/account-data/account-data.ts';
import { Accounts } from './services/accounts/accounts.ts';
import { RegistrationTokens } from './services/accounts/registration-tokens.ts';
import { SharedSecretRegistration } from './services/accounts/shared-secret-registration.ts';
import { UserInteractiveAuth } from './services/accounts/user-interactive-auth.ts';
import { CrossSigning } from './services/e2ee/cross-signing.ts';
import { ToDevice } from './services/e2ee/to-device.ts';
import { KeyBackup } from './services/e2ee/key-backup.ts';
import { DeviceKeys } from './services/e2ee/device-keys.ts';
import { RemoteDeviceKeys } from './services/e2ee/remote-device-keys.ts';
import { Filters } from './services/filters/filters.ts';
import { Profiles } from './services/profiles/profiles.ts';
import { PushRules } from './services/push/push-rules.ts';
import { Pushers } from './services/push/pushers.ts';
import { PushDelivery } from './services/push/push-delivery.ts';
import { PushGatewayClient } from './services/push/push-gateway-client.ts';
import { PushActions } from './services/push/push-actions.ts';
import { PushActionsPruner } from './services/push/push-actions-pruner.ts';
import { Notifications } from './services/push/notifications.ts';
import { ClientTransactions } from './services/client-transactions.ts';
import { SyncNotifier } from './services/sync/notifier.ts';
import { Sync, currentSyncPositions } from './services/sync/sync.ts';
import { ServerEvents } from './services/server-events.ts';
import { ServerKeys } from './services/signing-keys/server-keys.ts';
import type { DnsResolver } from './federation-client/dns-resolver.ts';
import { FederationClient } from './federation-client/federation-client.ts';
import { PduReceiver } from './services/federation/inbound-pdu/pdu-receiver.ts';
import { Backfiller } from './services/federation/missing-events/backfiller.ts';
import { GapFiller } from './services/federation/missing-events/gap-filler.ts';
import { RemoteState } from './services/federation/missing-events/remote-state.ts';
import { RoomHistoryRequests } from './services/federation/missing-events/room-history-requests.ts';
import { OutgoingInvites } from './services/federation/invites/outgoing-invites.ts';
import { RemoteInvites } from './services/federation/invites/remote-invites.ts';
import { RemoteJoiner } from './services/federation/joins/remote-join.ts';
import { RemoteQueries } from './services/federation/remote-queries.ts';
import { RestrictedJoins } from './services/rooms/restricted-joins.ts';
import { SpaceHierarchy } from './services/rooms/space-hierarchy.ts';
import { RoomSummaries } from './services/rooms/room-summary.ts';
import { UpgradedRoomSettings } from './services/rooms/upgraded-room-settings.ts';
import { RoomUpgrades } from './services/rooms/room-upgrades.ts';
import { ResidentJoins } from './services/federation/joins/resident-joins.ts';
import { ResidentLeavesAndKnocks } from './services/federation/joins/resident-leaves-and-knocks.ts';
import { RemoteMembership } from './services/federation/joins/remote-membership.ts';
import { RemoteKnocks } from './services/federation/joins/remote-knocks.ts';
import { RemoteRoomMemberships } from './services/federation/remote-room-memberships.ts';
import { RemoteServerKeys, type KeyRequester } from './services/federation/remote-server-keys.ts';
import { FederationSender } from './services/federation/sender/federation-sender.ts';
import { federateEdus } from './services/federation/edus/federate-edus.ts';
import { toDeviceEdus } from './services/federation/edus/direct-to-device-edu.ts';
import { TransactionReceiver } from './services/federation/transaction-receiver.ts';
import { DirectoryForServers } from './services/federation/directory-for-servers.ts';
import { RoomReadsForServers } from './services/federation/room-reads-for-servers.ts';
import { ServerRoomAccess } from './services/federation/server-room-access.ts';
import { UserKeysForServers } from './services/federation/user-keys-for-servers.ts';
import { OpenIdTokens } from './services/accounts/openid-tokens.ts';
import { loadOrCreateSigningKey } from './services/signing-keys/signing-key-file.ts';
import { Storage } from './storage/storage.ts';
import { ClientEvents } from './services/rooms/client-events.ts';
import { EventStore } from './services/rooms/event-store.ts';
import { HistoryVisibility } from './services/rooms/history-visibility.ts';
import { Membership } from './services/rooms/membership.ts';
import { RoomAliases } from './services/rooms/room-aliases.ts';
import { RoomCreation } from './services/rooms/room-creation.ts';
import { RoomDirectory } from './services/rooms/room-directory.ts';
import { RoomPermissions } from './services/rooms/room-permissions.ts';
import { RoomReads } from './services/rooms/room-reads.ts';
import { RoomSearch } from './services/search/room-search.ts';
import { SearchContext } from './services/search/search-context.ts';
import { searchIndexHook } from './services/search/search-index.ts';
import { RoomSending } from './services/rooms/room-sending.ts';
import { RoomStates } from './services/rooms/room-states.ts';
import { UnreadCounts } from './services/sync/unread-counts.ts';
import { RecentEvents } from './services/rooms/recent-events.ts';
import { Timeline } from './services/rooms/timeline.ts';
import { Receipts } from './services/ephemeral/receipts.ts';
import { Presence } from './services/ephemeral/presence.ts';
import { IgnoredUsers } from './services/rooms/ignored-users.ts';
import { BundledAggregations } from './services/rooms/bundled-aggregations.ts';
import { RelationIndex } from './services/rooms/relation-index.ts';
import { Relations } from './services/rooms/relations.ts';
import { Typing } from './services/ephemeral/typing.ts';
import { RoomSync } from './services/sync/room-sync.ts';
import { UserDirectory } from './services/user-directory.ts';
import { Reports } from './services/moderation/reports.ts';
import { ServerNotices } from './services/server-notices.ts';
import { ContentRepository } from './services/media/content-repository.ts';
import { MediaStore } from './services/media/media-store.ts';
import { RemoteMedia } from './services/media/remote-media.ts';
import { Thumbnailer } from './services/media/thumbnailer.ts';
import { Thumbnails } from './services/media/thumbnails.ts';
import { SafeFetcher } from './services/media/safe-fetch.ts';
import { UrlBlacklist } from './services/media/url-blacklist.ts';
import { UrlPreviews } from './services/media/url-previews.ts';
import { serverSoftware } from './version.ts';
import type { Logger } from './util/logger.ts';

export interface HomeserverOptions {
  logger: Logger;
  clock?: () => number;
  /** The DNS the federation client resolves server names with (the system's by default; tests map names to loopback). */
  federationDns?: DnsResolver;
  /** Outbound server-server requests, instead of a FederationClient (tests point them at local servers). */
  federationRequester?: KeyRequester;
}

export interface RunningListener {
  port: number;
  tls: boolean;
  resources: ResourceName[];
  /** Base URLs, one per bound address. */
  urls: string[];
}

export class Homeserver {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: Config,
    readonly storage: Storage,
    readonly serverKeys: ServerKeys,
    private readonly httpListeners: HttpListener[],
    readonly listeners: RunningListener[],
    private readonly logger: Logger,
    /** Timers and loops to stop before the database closes. */
    private readonly background: ReadonlyArray<{ stop(): void }> = [],
  ) {}

  static async start(config: Config, options: HomeserverOptions): Promise<Homeserver> {
    const { logger } = options;
    const clock = options.clock ?? Date.now;
    checkConfigAgainstProtocol(config);
    await initCrypto();
    const tls = readTlsFiles(config);
    mkdirSync(config.media_store_path, { recursive: true });
    const { key: signingKey, created } = loadOrCreateSigningKey(config.signing_key_path);
    if (created) logger.info({ path: config.signing_key_path, keyId: signingKey.keyId }, 'generated a new signing key');

    const { storage, applied } = await Storage.open(config.database);
    const started: HttpListener[] = [];
    try {
      if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');
      const { serverKeys, replacedPublicKey } = await ServerKeys.start(storage, {
        serverName: config.server_name,
        signingKey,
        configuredOldKeys: config.old_signing_keys,
        validityMs: config.key_refresh_interval,
        clock,
      });
      if (replacedPublicKey) logger.warn({ keyId: signingKey.keyId }, 'the signing key file now holds a different key under a key ID used before; events signed with the old key can no longer be verified');

      const federationClient = options.federationRequester
        ? undefined
        : new FederationClient({
            serverName: config.server_name,
            signingKey,
            verifyCertificates: config.federation_verify_certificates,
            caCertificates: config.federation_custom_ca_list.map((path) => readFileSync(path, 'utf8')),
            ipRangeDenyList: config.ip_range_blacklist,
            ipRangeAllowList: config.ip_range_whitelist,
            domainAllowList: config.federation_domain_whitelist,
            dns: options.federationDns,
            clock,
          });
      const federationRequester: KeyRequester = options.federationRequester ?? federationClient!;
      const remoteServerKeys = new RemoteServerKeys(storage, serverKeys, federationRequester, {
        serverName: config.server_name,
        trustedKeyServers: config.trusted_key_servers,
        clock,
      });
      const events = new ServerEvents();
      const accounts = new Accounts(storage, events, config.server_name, clock, {
        refreshableAccessToken: config.refreshable_access_token_lifetime,
        refreshToken: config.refresh_token_lifetime,
        nonrefreshableAccessToken: config.nonrefreshable_access_token_lifetime,
      });
      const registrationTokens = new RegistrationTokens(storage, clock);
      const remoteDeviceKeys = new RemoteDeviceKeys(federationRequester);
      const crossSigning = new CrossSigning(storage, events, { serverName: config.server_name, keys: remoteDeviceKeys });
      const pushRules = new PushRules(storage, events);
      const deviceKeys = new DeviceKeys(storage, events, crossSigning, config.server_name, remoteDeviceKeys);
      const clientTransactions = new ClientTransactions(storage, clock);
      const eventStore = new EventStore(storage);
      const roomStates = new RoomStates(storage, eventStore);
      const pushActions = new PushActions(eventStore, pushRules, events, config.server_name);
      const startPositions = await currentSyncPositions(storage);
      const recentEvents = new RecentEvents(storage, startPositions.events);
      const federationSender = new FederationSender(storage, eventStore, config.server_name, federationRequester, clock, (destination, error) =>
        logger.warn({ destination, err: error }, 'federation transaction failed; it will be retried'),
      );
      const relationIndex = new RelationIndex(storage, config.server_name);
      const userDirectory = new UserDirectory(
        storage,
        eventStore,
        roomStates,
        {
          serverName: config.server_name,
          enabled: config.user_directory.enabled,
          searchAllUsers: config.user_directory.search_all_users,
          preferLocalUsers: config.user_directory.prefer_local_users,
          hidden: config.server_notices ? [`@${config.server_notices.system_mxid_localpart}:${config.server_name}`] : [],
        },
        (error) => logger.warn({ err: error }, "user directory: listing a room's members failed"),
      );
      const timeline = new Timeline(storage, eventStore, roomStates, recentEvents, events, { serverName: config.server_name, key: signingKey }, clock, [pushActions.persistHook, federationSender.persistHook, searchIndexHook, relationIndex.persistHook, userDirectory.persistHook], [relationIndex.historyHook, searchIndexHook]);
      // Missing prev and auth events, state and history are asked of the room's other servers.
      const historyRequests = new RoomHistoryRequests(federationRequester);
      const onHistoryFailure = (what: string, error: unknown) => logger.info({ err: error }, `federation: ${what} failed`);
      const remoteState = new RemoteState(storage, eventStore, roomStates, historyRequests, remoteServerKeys);
      const gaps = new GapFiller(storage, eventStore, roomStates, historyRequests, remoteState, onHistoryFailure);
      const pduReceiver = new PduReceiver(storage, eventStore, roomStates, timeline, remoteServerKeys, { gaps, remoteState, onFailure: onHistoryFailure });
      const backfiller = new Backfiller(storage, eventStore, roomStates, historyRequests, pduReceiver, config.server_name, onHistoryFailure);
      const serverRoomAccess = new ServerRoomAccess(eventStore, roomStates);
      const transactionReceiver = new TransactionReceiver(pduReceiver, (origin, roomId) => serverRoomAccess.checkAcl(origin, roomId).then(() => true, () => false));
      const restrictedJoins = new RestrictedJoins(eventStore, roomStates, config.server_name);
      const residentJoins = new ResidentJoins(config.server_name, eventStore, roomStates, timeline, pduReceiver, federationSender, serverRoomAccess, restrictedJoins, signingKey);
      const remoteJoiner = new RemoteJoiner(storage, timeline, federationRequester, remoteServerKeys, { serverName: config.server_name, key: signingKey }, clock);
      const residentLeavesAndKnocks = new ResidentLeavesAndKnocks(eventStore, roomStates, timeline, pduReceiver, federationSender, serverRoomAccess);
      const remoteMembership = new RemoteMembership(federationRequester, remoteServerKeys, { serverName: config.server_name, key: signingKey }, clock);
      const remoteRoomMemberships = new RemoteRoomMemberships(storage, events);
      const remoteKnocks = new RemoteKnocks(remoteRoomMemberships, remoteMembership);
      const remoteQueries = new RemoteQueries(federationRequester);
      const remoteInvites = new RemoteInvites(storage, remoteRoomMemberships, remoteServerKeys, { serverName: config.server_name, key: signingKey });
      const outgoingInvites = new OutgoingInvites(federationRequester, eventStore, roomStates, remoteServerKeys);
      const accountData = new AccountData(storage, events);
      const membership = new Membership(storage, timeline, roomStates, { serverName: config.server_name, joiner: remoteJoiner, invites: remoteInvites, outgoingInvites, knocks: remoteKnocks, remoteMembership, remoteRoomMemberships }, restrictedJoins, new UpgradedRoomSettings(storage, roomStates, accountData, pushRules));
      const permissions = new RoomPermissions(eventStore, roomStates);
      const historyVisibility = new HistoryVisibility(roomStates);
      const ignoredUsers = new IgnoredUsers(storage, events);
      const clientEvents = new ClientEvents(storage, eventStore, roomStates, clock, new BundledAggregations(relationIndex, eventStore, ignoredUsers));
      const roomReads = new RoomReads(storage, eventStore, roomStates, historyVisibility, clientEvents, ignoredUsers, backfiller);
      const relations = new Relations(storage, eventStore, roomStates, roomReads, historyVisibility, ignoredUsers, clientEvents);
      const typing = new Typing(roomStates, events);
      const receipts = new Receipts(storage, eventStore, roomStates, accountData, events, clock);
      const roomSync = new RoomSync(storage, eventStore, roomStates, recentEvents, historyVisibility, typing, receipts, clientEvents, ignoredUsers, new UnreadCounts(storage, events), remoteRoomMemberships);
      const presence = new Presence(storage, events, clock, { enabled: config.presence.enabled, serverName: config.server_name });
      await presence.start();
      const toDevice = new ToDevice(clientTransactions, events, config.server_name, (tx, remote) => federationSender.queueEdus(tx, toDeviceEdus(remote, config.server_name)));
      const eduFederation = federateEdus(
        {
          serverName: config.server_name,
          events,
          clock,
          sendEdu: (to, edu) => federationSender.sendEdu(to, edu),
          sendDurableEdus: async (edus) => (await federationSender.queueEdus(storage, edus))(),
          onEdu: (type, handler) => transactionReceiver.onEdu(type, handler),
        },
        { storage, roomStates, typing, receipts, presence, toDevice, crossSigning },
      );
      await federationSender.start();
      await userDirectory.start();
      const pushGatewayClient = new PushGatewayClient({ ipRangeDenyList: config.ip_range_blacklist, ipRangeAllowList: config.ip_range_whitelist });
      const pushDelivery = new PushDelivery(storage, eventStore, roomStates, events, pushGatewayClient, clock, (pusher, error, outcome) =>
        logger.warn({ userId: pusher.userId, appId: pusher.appId, err: error }, `push to a gateway failed; ${outcome}`),
      );
      await pushDelivery.start();
      const pushActionsPruner = new PushActionsPruner(storage, clock, undefined, (error) => logger.warn({ err: error }, 'pruning push actions failed; it will be tried again'));
      pushActionsPruner.start();
      const notifier = new SyncNotifier(startPositions, events);
      const mediaStore = new MediaStore(config.media_store_path);
      const media = new ContentRepository(
        storage,
        mediaStore,
        new Thumbnails(storage, mediaStore, new Thumbnailer(config.max_image_pixels), config.server_name),
        new RemoteMedia(federationClient, mediaStore, config.max_upload_size),
        {
          serverName: config.server_name,
          maxUploadSize: config.max_upload_size,
          uploadQuota: config.media_upload_quota,
          maxPendingUploads: config.max_pending_media_uploads,
          unusedExpirationMs: config.unused_expiration_time,
          legacyUnauthenticatedMedia: config.enable_legacy_unauthenticated_media,
          onQuotaReached: (userId) =>
            void serverNotices.usageLimitReached(userId, 'storage', 'You have used all of your media upload quota; delete media or contact the administrator to upload more.').catch((error: unknown) => logger.warn({ err: error, userId }, 'the media quota notice was not sent')),
        },
        clock,
      );
      const urlBlacklist = new UrlBlacklist(config.url_preview_url_blacklist);
      const urlPreviewFetcher = config.url_preview_enabled
        ? new SafeFetcher({
            ipRangeDenyList: config.url_preview_ip_range_blacklist,
            ipRangeAllowList: config.url_preview_ip_range_whitelist,
            denyListName: 'url_preview_ip_range_blacklist',
            isUrlBlocked: (url) => urlBlacklist.blocks(url),
            // As Synapse: some sites give OpenGraph tags only to crawlers; no version is given away.
            headers: { 'user-agent': `${serverSoftware.name} (bot)`, 'accept-language': config.url_preview_accept_language.join(', ') },
          })
        : undefined;
      const urlPreviews = urlPreviewFetcher && new UrlPreviews(urlPreviewFetcher, media, { maxSpiderSize: config.max_spider_size }, (url, error) =>
        logger.info({ url, err: error }, "URL preview: the page's image could not be stored"),
      );
      const metrics = new Registry();
      collectDefaultMetrics({ register: metrics, prefix: 'lattice_' });
      const roomSummaries = new RoomSummaries(eventStore, roomStates, config.server_name, { rooms: remoteQueries, outstanding: [remoteRoomMemberships] });
      const roomCreation = new RoomCreation(storage, timeline, membership, config.server_name, config.default_room_version);
      // Notices to users (e.g. a quota exceeded): services that send them get this instance.
      const serverNotices = new ServerNotices(storage, { accounts, roomCreation, membership, roomStates, timeline, accountData }, config.server_name, config.server_notices && {
        systemLocalpart: config.server_notices.system_mxid_localpart,
        systemDisplayName: config.server_notices.system_mxid_display_name,
        systemAvatarUrl: config.server_notices.system_mxid_avatar_url,
        roomName: config.server_notices.room_name,
        adminContact: config.admin_contact ?? config.public_baseurl,
      });
      const deps: ApiDependencies = {
        serverName: config.server_name,
        publicBaseurl: config.public_baseurl,
        serveServerWellKnown: config.serve_server_wellknown,
        extraWellKnownClientContent: config.extra_well_known_client_content,
        maxJsonBodySize: config.max_json_body_size,
        serverKeys,
        remoteServerKeys,
        transactionReceiver,
        federationSender,
        roomReadsForServers: new RoomReadsForServers(storage, eventStore, roomStates, serverRoomAccess, config.server_name, clock),
        directoryForServers: new DirectoryForServers(storage, roomStates, new RoomDirectory(storage, roomStates, permissions), {
          serverName: config.server_name,
          allowPublicRoomsOverFederation: config.allow_public_rooms_over_federation,
        }),
        userKeysForServers: new UserKeysForServers(storage, deviceKeys, crossSigning, config.server_name),
        openIdTokens: new OpenIdTokens(storage, config.server_name, clock),
        residentJoins,
        residentLeavesAndKnocks,
        remoteInvites,
        remoteQueries,
        spaceHierarchy: new SpaceHierarchy(roomStates, roomSummaries, config.server_name, remoteQueries),
        roomSummaries,
        roomUpgrades: new RoomUpgrades(storage, eventStore, roomStates, timeline, membership, roomCreation, config.server_name),
        federationDomainWhitelist: config.federation_domain_whitelist,
        metrics,
        rateLimits: new RateLimits(config),
        enableRegistration: config.enable_registration,
        registrationRequiresToken: config.registration_requires_token,
        registrationTokens,
        accounts,
        userInteractiveAuth: new UserInteractiveAuth(storage, accounts, clock, registrationTokens),
        sharedSecretRegistration: new SharedSecretRegistration(config.registration_shared_secret, accounts, clock),
        profiles: new Profiles(storage, config.server_name, async (userId) => {
            await membership.refreshProfile(userId);
            await userDirectory.refreshLocalUser(userId);
          }, remoteQueries),
        filters: new Filters(storage),
        turn: { uris: config.turn_uris, sharedSecret: config.turn_shared_secret, lifetimeMs: config.turn_user_lifetime },
        defaultRoomVersion: config.default_room_version,
        accountData,
        pushRules,
        pushers: new Pushers(storage, events, clock),
        notifications: new Notifications(storage, eventStore, clientEvents),
        deviceKeys,
        crossSigning,
        keyBackup: new KeyBackup(storage),
        toDevice,
        sync: new Sync(storage, notifier, pushRules, deviceKeys, roomSync, presence),
        roomCreation,
        membership,
        roomSending: new RoomSending(storage, config.server_name, timeline, roomStates, eventStore, permissions, clientTransactions, relations),
        roomReads,
        relations,
        roomSearch: new RoomSearch(storage, eventStore, roomStates, historyVisibility, clientEvents, ignoredUsers, roomReads, new SearchContext(storage, eventStore, roomStates, historyVisibility, clientEvents, ignoredUsers)),
        roomAliases: new RoomAliases(storage, roomStates, permissions, config.server_name, remoteQueries),
        roomDirectory: new RoomDirectory(storage, roomStates, permissions),
        typing,
        presence,
        userDirectory,
        reports: new Reports(storage, eventStore, roomStates, roomReads, config.server_name, clock),
        serverNotices,
        receipts,
        media,
        urlPreviews,
      };

      const running: RunningListener[] = [];
      for (const listener of config.listeners) {
        const resources = new Set(listener.resources.flatMap((r) => r.names));
        const app = createApp({ resources, endpoints, deps, logger, proxy: listener.x_forwarded });
        const http = await HttpListener.start({ port: listener.port, bindAddresses: listener.bind_addresses, tls: listener.tls ? tls : undefined }, app.callback(), logger);
        started.push(http);
        const scheme = listener.tls ? 'https' : 'http';
        running.push({
          port: http.port,
          tls: listener.tls,
          resources: [...resources],
          urls: http.addresses.map((a) => `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`),
        });
      }
      const closeClient = { stop: () => void federationClient?.close() };
      return new Homeserver(config, storage, serverKeys, started, running, logger, [presence, eduFederation, federationSender, pushDelivery, pushActionsPruner, closeClient, { stop: () => urlPreviewFetcher?.close() }]);
    } catch (error) {
      await Promise.all(started.map((l) => l.close(0)));
      await storage.close();
      throw error;
    }
  }

  /** Stops accepting requests, lets in-flight ones finish, then closes the database. Idempotent. */
  stop(graceMs?: number): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.httpListeners.map((l) => l.close(graceMs)));
      for (const task of this.background) task.stop();
      await this.storage.close();
      this.logger.info('stopped');
    })();
    return this.stopping;
  }
}

/** The checks of a configuration that need the protocol core, which config/ may not import. */
export function checkConfigAgainstProtocol(config: Config): void {
  if (!isSupportedRoomVersion(config.default_room_version)) {
    const expected = supportedRoomVersions.join(', ');
    throw new ConfigError(config.config_path ?? 'configuration', [`default_room_version: room version ${JSON.stringify(config.default_room_version)} is not supported (expected one of ${expected})`]);
  }
}

function readTlsFiles(config: Config): { cert: Buffer; key: Buffer } | undefined {
  if (!config.listeners.some((l) => l.tls)) return undefined;
  const read = (key: 'tls_certificate_path' | 'tls_private_key_path') => {
    const path = config[key]!;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`Cannot read ${key} ${path}: ${(error as Error).message}`);
    }
  };
  return { cert: read('tls_certificate_path'), key: read('tls_private_key_path') };
}
