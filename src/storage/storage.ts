/**
 * The storage facade services receive: one repository per table family over one database handle,
 * and transaction(work) giving the same repositories bound to one transaction.
 * Constructed in homeserver.ts and passed in; nothing else opens the database.
 */
import type { Knex } from 'knex';
import type { SqliteClient, SyncChoice } from './sqlite-client.ts';
import { engineOf, openDatabase, type Database, type DatabaseEngine, type DatabaseOptions } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { AccountDataRepository } from './repositories/account-data.ts';
import { ClientTransactionRepository } from './repositories/client-transactions.ts';
import { CrossSigningRepository } from './repositories/cross-signing.ts';
import { DeviceRepository } from './repositories/devices.ts';
import { E2eeKeyRepository } from './repositories/e2ee-keys.ts';
import { EventSearchRepository } from './repositories/event-search.ts';
import { RoomMembershipRepository } from './repositories/room-memberships.ts';
import { EventPushActionRepository } from './repositories/event-push-actions.ts';
import { EventRelationRepository } from './repositories/event-relations.ts';
import { FilterRepository } from './repositories/filters.ts';
import { LocalSigningKeyRepository } from './repositories/local-signing-keys.ts';
import { OpenIdTokenRepository } from './repositories/openid-tokens.ts';
import { ProfileRepository } from './repositories/profiles.ts';
import { KeyBackupRepository } from './repositories/key-backup.ts';
import { MediaRepository } from './repositories/media.ts';
import { PushRuleRepository } from './repositories/push-rules.ts';
import { PusherRepository } from './repositories/pushers.ts';
import { FederationOutboxRepository } from './repositories/federation-outbox.ts';
import { RemoteRoomMembershipRepository } from './repositories/remote-room-memberships.ts';
import { PresenceRepository } from './repositories/presence.ts';
import { ReceiptRepository } from './repositories/receipts.ts';
import { RegistrationTokenRepository } from './repositories/registration-tokens.ts';
import { RemoteServerKeyRepository } from './repositories/remote-server-keys.ts';
import { RoomAliasRepository } from './repositories/room-aliases.ts';
import { RoomEventRepository } from './repositories/room-events.ts';
import { StateGroupRepository } from './repositories/state-groups.ts';
import { StreamCounterRepository } from './repositories/stream-counters.ts';
import { ToDeviceRepository } from './repositories/to-device.ts';
import { UiAuthSessionRepository } from './repositories/ui-auth-sessions.ts';
import { UserRepository } from './repositories/users.ts';
import { ReportRepository } from './repositories/reports.ts';
import { ServerNoticeRoomRepository } from './repositories/server-notice-rooms.ts';
import { UserDirectoryRepository } from './repositories/user-directory.ts';

export class Repositories {
  readonly localSigningKeys: LocalSigningKeyRepository;
  readonly users: UserRepository;
  readonly devices: DeviceRepository;
  readonly uiAuthSessions: UiAuthSessionRepository;
  readonly profiles: ProfileRepository;
  readonly filters: FilterRepository;
  readonly streamCounters: StreamCounterRepository;
  readonly accountData: AccountDataRepository;
  readonly pushRules: PushRuleRepository;
  readonly e2eeKeys: E2eeKeyRepository;
  readonly roomMemberships: RoomMembershipRepository;
  readonly crossSigning: CrossSigningRepository;
  readonly keyBackup: KeyBackupRepository;
  readonly toDevice: ToDeviceRepository;
  readonly clientTransactions: ClientTransactionRepository;
  readonly stateGroups: StateGroupRepository;
  readonly roomEvents: RoomEventRepository;
  readonly roomAliases: RoomAliasRepository;
  readonly receipts: ReceiptRepository;
  readonly eventPushActions: EventPushActionRepository;
  readonly eventRelations: EventRelationRepository;
  readonly presence: PresenceRepository;
  readonly federationOutbox: FederationOutboxRepository;
  readonly remoteRoomMemberships: RemoteRoomMembershipRepository;
  readonly pushers: PusherRepository;
  readonly registrationTokens: RegistrationTokenRepository;
  readonly remoteServerKeys: RemoteServerKeyRepository;
  readonly openIdTokens: OpenIdTokenRepository;
  readonly reports: ReportRepository;
  readonly serverNoticeRooms: ServerNoticeRoomRepository;
  readonly userDirectory: UserDirectoryRepository;
  readonly eventSearch: EventSearchRepository;
  readonly media: MediaRepository;

  constructor(db: Database) {
    this.localSigningKeys = new LocalSigningKeyRepository(db);
    this.users = new UserRepository(db);
    this.devices = new DeviceRepository(db);
    this.uiAuthSessions = new UiAuthSessionRepository(db);
    this.profiles = new ProfileRepository(db);
    this.filters = new FilterRepository(db);
    this.streamCounters = new StreamCounterRepository(db);
    this.accountData = new AccountDataRepository(db);
    this.pushRules = new PushRuleRepository(db);
    this.e2eeKeys = new E2eeKeyRepository(db);
    this.roomMemberships = new RoomMembershipRepository(db);
    this.crossSigning = new CrossSigningRepository(db);
    this.keyBackup = new KeyBackupRepository(db);
    this.toDevice = new ToDeviceRepository(db);
    this.clientTransactions = new ClientTransactionRepository(db);
    this.stateGroups = new StateGroupRepository(db);
    this.roomEvents = new RoomEventRepository(db);
    this.roomAliases = new RoomAliasRepository(db);
    this.receipts = new ReceiptRepository(db);
    this.eventPushActions = new EventPushActionRepository(db);
    this.eventRelations = new EventRelationRepository(db);
    this.presence = new PresenceRepository(db);
    this.federationOutbox = new FederationOutboxRepository(db);
    this.remoteRoomMemberships = new RemoteRoomMembershipRepository(db);
    this.pushers = new PusherRepository(db);
    this.registrationTokens = new RegistrationTokenRepository(db);
    this.remoteServerKeys = new RemoteServerKeyRepository(db);
    this.openIdTokens = new OpenIdTokenRepository(db);
    this.reports = new ReportRepository(db);
    this.serverNoticeRooms = new ServerNoticeRoomRepository(db);
    this.userDirectory = new UserDirectoryRepository(db);
    this.eventSearch = new EventSearchRepository(db);
    this.media = new MediaRepository(db);
  }
}

export class Storage extends Repositories {
  readonly engine: DatabaseEngine;

  private constructor(private readonly db: Database) {
    super(db);
    this.engine = engineOf(db);
  }

  /** Opens the database and brings its schema up to date; returns the migrations applied now. */
  static async open(options: DatabaseOptions): Promise<{ storage: Storage; applied: string[] }> {
    const db = openDatabase(options);
    try {
      const applied = await migrateToLatest(db);
      return { storage: new Storage(db), applied };
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }

  /**
   * Runs `work` in one transaction: all of its writes commit together or not at all. When the work sets
   * `sync.defer` (the object given), the commit may not be on disk yet when this resolves: call flush()
   * before answering anyone for it.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>, options: { sync?: SyncChoice } = {}): Promise<T> {
    // knex hands its config to the transaction (SQLite: sqlite-client.ts); PostgreSQL's ignores `sync`.
    return this.db.transaction((tx) => work(new Repositories(tx)), { sync: options.sync } as Knex.TransactionConfig);
  }

  /** Puts commits made with deferSync on disk (SQLite: one fsync of the WAL; PostgreSQL commits are durable already). */
  async flush(): Promise<void> {
    if (this.engine === 'sqlite') await (this.db.client as unknown as SqliteClient).flush();
  }

  /** Cheap liveness check of the connection. */
  async ping(): Promise<void> {
    await this.db.raw('select 1');
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
