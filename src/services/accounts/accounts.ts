/**
 * Accounts: registration, password login, access-token authentication, refresh and logout
 * (client-server-api "Account registration and management", "Login", "Refreshing access tokens", "Logout").
 */
import type { PusherKey } from '../../storage/repositories/pushers.ts';
import { randomBytes } from 'node:crypto';
import { lru } from '../../util/lru.ts';
import { MatrixError } from '../../core/errors.ts';
import type { DeviceRecord } from '../../storage/repositories/devices.ts';
import type { Repositories, Storage } from '../../storage/storage.ts';
import { commitDeviceListChange } from '../e2ee/device-lists.ts';
import type { ServerEvents } from '../server-events.ts';
import { generateDeviceId, hashAccessToken } from './access-tokens.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { exchangeRefreshToken, issueTokens, recordFirstUse, tokensNeverExpire, unknownToken, type IssuedTokens, type TokenLifetimes } from './session-tokens.ts';

/** Who a request acts for, once its access token is checked. */
export interface Requester {
  userId: string;
  deviceId: string;
  tokenId: number;
  isAdmin: boolean;
}

export type Device = DeviceRecord;

export interface RegisterInput {
  localpart?: string;
  password?: string;
  admin?: boolean;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  inhibitLogin?: boolean;
  /** The client supports refresh tokens (the request's refresh_token: true). */
  refreshToken?: boolean;
  /** The UIA session whose registration token this registration consumes. */
  registrationTokenSession?: string;
}

export interface Session extends Partial<IssuedTokens> {
  userId: string;
  deviceId?: string;
}

// appendices "User Identifiers": the characters of a user ID localpart.
const localpartPattern = /^[a-z0-9._=\-/+]+$/;

const lastSeenIntervalMs = 60_000;

export class Accounts {
  private readonly lastSeenWritten = new Map<string, { ts: number; ip: string }>();
  /**
   * Authenticated sessions by access-token hash, so a request does not read the token and the user
   * each time. Any change that removes tokens (logout, device deletion, password change, deactivation,
   * refresh, a login that reuses a device ID) drops the whole cache after it commits; the generation
   * keeps a read that raced with such a change from caching what it removed. The TTL bounds what a
   * second process could see after a change made by another.
   */
  private readonly sessions = lru<string, { owner: { userId: string; deviceId: string; tokenId: number; expiresTs: number | null }; isAdmin: boolean }>(50_000, { ttl: 30_000 });
  private sessionsGeneration = 0;

  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
    private readonly serverName: string,
    private readonly clock: () => number,
    private readonly lifetimes: TokenLifetimes = tokensNeverExpire,
  ) {}

  userIdFor(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /** Checks a requested localpart: M_INVALID_USERNAME if malformed, M_USER_IN_USE if taken. */
  async checkUsernameAvailable(localpart: string): Promise<string> {
    const normalised = localpart.toLowerCase();
    if (!localpartPattern.test(normalised)) {
      throw new MatrixError('M_INVALID_USERNAME', 'User ID may only contain a-z, 0-9, and the characters . _ = - / +');
    }
    const userId = this.userIdFor(normalised);
    if (new TextEncoder().encode(userId).length > 255) throw new MatrixError('M_INVALID_USERNAME', 'User ID is longer than 255 bytes');
    if (await this.storage.users.exists(userId)) throw new MatrixError('M_USER_IN_USE', 'User ID already taken');
    return userId;
  }

  async register(input: RegisterInput): Promise<Session> {
    const userId = await this.checkUsernameAvailable(input.localpart ?? randomLocalpart());
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const now = this.clock();
    return this.storage.transaction(async (tx) => {
      const created = await tx.users.create({ userId, passwordHash, isAdmin: input.admin ?? false, kind: 'user', createdTs: now });
      if (!created) throw new MatrixError('M_USER_IN_USE', 'User ID already taken');
      // Listed in the user directory from the start: with search_all_users it finds users in no room.
      await tx.userDirectory.put({ userId, isLocal: true, displayName: null, avatarUrl: null });
      // "Token-authenticated registration": the token's use counts once the account exists.
      if (input.registrationTokenSession !== undefined && !(await tx.registrationTokens.consume(input.registrationTokenSession))) {
        throw new MatrixError('M_FORBIDDEN', 'The registration token is no longer valid');
      }
      if (input.inhibitLogin) return { userId };
      return this.startSession(tx, userId, input.deviceId, input.initialDeviceDisplayName, input.refreshToken ?? false);
    });
  }

  /** m.login.password: the user's password, checked against its Argon2 hash. */
  async loginWithPassword(userId: string, password: string, deviceId?: string, displayName?: string, refreshToken = false): Promise<Session> {
    const user = await this.storage.users.get(userId);
    const valid = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : false;
    if (!user || !valid) throw new MatrixError('M_FORBIDDEN', 'Invalid username or password');
    if (user.deactivatedTs !== null) throw new MatrixError('M_USER_DEACTIVATED', 'This account has been deactivated');
    return this.storage.transaction((tx) => this.startSession(tx, userId, deviceId, displayName, refreshToken));
  }

  /** Whether `password` is `userId`'s password (for UIA m.login.password). */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.storage.users.get(userId);
    return user?.passwordHash ? verifyPassword(user.passwordHash, password) : false;
  }

  /**
   * The requester behind an access token; M_UNKNOWN_TOKEN when it is unknown or its user is gone, and
   * with soft_logout: true when it has expired (client-server-api "Soft logout").
   */
  async authenticate(accessToken: string, clientIp?: string): Promise<Requester> {
    const tokenHash = hashAccessToken(accessToken);
    const cached = this.sessions.get(tokenHash);
    if (cached) {
      const { owner } = cached;
      if (owner.expiresTs !== null && owner.expiresTs <= this.clock()) throw unknownToken('Access token has expired', true);
      if (clientIp !== undefined) await this.recordSeen(owner.userId, owner.deviceId, clientIp);
      return { userId: owner.userId, deviceId: owner.deviceId, tokenId: owner.tokenId, isAdmin: cached.isAdmin };
    }
    const generation = this.sessionsGeneration;
    const owner = await this.storage.devices.findAccessToken(tokenHash);
    if (!owner) throw unknownToken('Unknown access token', false);
    if (owner.expiresTs !== null && owner.expiresTs <= this.clock()) throw unknownToken('Access token has expired', true);
    const user = await this.storage.users.get(owner.userId);
    if (!user || user.deactivatedTs !== null) throw unknownToken('Unknown access token', false);
    if (owner.refreshTokenId !== null && !owner.used) {
      // The first use of a refreshed token retires the tokens it replaced.
      await this.storage.transaction((tx) => recordFirstUse(tx, owner));
      this.forgetSessions();
    }
    if (clientIp !== undefined) await this.recordSeen(owner.userId, owner.deviceId, clientIp);
    if (generation === this.sessionsGeneration) this.sessions.set(tokenHash, { owner, isAdmin: user.isAdmin });
    return { userId: owner.userId, deviceId: owner.deviceId, tokenId: owner.tokenId, isAdmin: user.isAdmin };
  }

  /** Forgets every cached session: called after a change that removed tokens has committed. */
  private forgetSessions(): void {
    this.sessionsGeneration++;
    this.sessions.clear();
  }

  /** client-server-api "POST /refresh": exchanges a refresh token for a new access token and refresh token. */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    try {
      return await this.storage.transaction((tx) => exchangeRefreshToken(tx, this.lifetimes, refreshToken, this.clock()));
    } finally {
      this.forgetSessions();
    }
  }

  async devices(userId: string): Promise<Device[]> {
    return this.storage.devices.list(userId);
  }

  async device(userId: string, deviceId: string): Promise<Device> {
    const device = await this.storage.devices.get(userId, deviceId);
    if (!device) throw new MatrixError('M_NOT_FOUND', 'Unknown device');
    return device;
  }

  /** A new display name is a device list change (server-server-api "Device Management": other servers learn it). */
  async renameDevice(userId: string, deviceId: string, displayName: string | null): Promise<void> {
    let found = true;
    await commitDeviceListChange(
      this.storage,
      this.events,
      userId,
      async (tx) => {
        found = await tx.devices.rename(userId, deviceId, displayName);
        return found;
      },
      { deviceIds: [deviceId] },
    );
    if (!found) throw new MatrixError('M_NOT_FOUND', 'Unknown device');
  }

  /** Deletes devices with their access tokens; unknown device IDs are ignored, as the spec allows. */
  async deleteDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
    await this.removeDevices(userId, deviceIds, (tx) => tx.devices.delete(userId, deviceIds));
  }

  /** client-server-api "POST /account/password": optionally logging out every other device. */
  async changePassword(requester: Requester, newPassword: string, logoutDevices: boolean): Promise<void> {
    const passwordHash = await hashPassword(newPassword);
    if (!logoutDevices) return this.storage.users.setPasswordHash(requester.userId, passwordHash);
    await this.removeDevices(requester.userId, { except: requester.deviceId }, async (tx) => {
      await tx.users.setPasswordHash(requester.userId, passwordHash);
      await tx.devices.deleteAllExcept(requester.userId, requester.deviceId);
    });
  }

  /** client-server-api "POST /account/deactivate": the account can never log in or be registered again. */
  async deactivate(requester: Requester): Promise<void> {
    await this.removeDevices(requester.userId, 'all', async (tx) => {
      await tx.users.deactivate(requester.userId, this.clock());
      await tx.devices.delete(requester.userId);
    });
  }

  /**
   * Device "last seen" for GET /devices: written at most once a minute per device, so authenticated
   * requests do not each cost a database write.
   */
  private async recordSeen(userId: string, deviceId: string, ip: string): Promise<void> {
    const now = this.clock();
    const key = `${userId}|${deviceId}`;
    const last = this.lastSeenWritten.get(key);
    if (last !== undefined && now - last.ts < lastSeenIntervalMs && last.ip === ip) return;
    this.lastSeenWritten.set(key, { ts: now, ip });
    if (this.lastSeenWritten.size > 100_000) this.lastSeenWritten.clear();
    await this.storage.devices.recordSeen(userId, deviceId, now, ip);
  }

  /** client-server-api "POST /logout": the device goes, with its access and refresh tokens and its keys. */
  async logout(requester: Requester): Promise<void> {
    await this.removeDevices(requester.userId, [requester.deviceId], (tx) => tx.devices.delete(requester.userId, [requester.deviceId]));
  }

  /** client-server-api "POST /logout/all": every device and token of the user. */
  async logoutAll(requester: Requester): Promise<void> {
    await this.removeDevices(requester.userId, 'all', (tx) => tx.devices.delete(requester.userId));
  }

  /**
   * Runs a change that removes `devices` (with their tokens, keys and pushers) and records it on the
   * device_lists stream, so other users' clients stop encrypting for the removed devices.
   */
  private async removeDevices(userId: string, devices: readonly string[] | 'all' | { except: string }, change: (tx: Repositories) => Promise<void>): Promise<void> {
    let pushers: PusherKey[] = [];
    try {
      await commitDeviceListChange(this.storage, this.events, userId, async (tx) => {
        await change(tx);
        pushers = await tx.pushers.deleteOfDevices(userId, devices);
      });
    } finally {
      this.forgetSessions();
    }
    for (const pusher of pushers) this.events.emit('pusher', pusher);
  }

  private async startSession(tx: Repositories, userId: string, requestedDeviceId: string | undefined, displayName: string | undefined, withRefreshToken: boolean): Promise<Session> {
    const now = this.clock();
    const deviceId = requestedDeviceId ?? generateDeviceId();
    await tx.devices.upsert(userId, deviceId, displayName ?? null, now);
    const { tokens } = await issueTokens(tx, this.lifetimes, { userId, deviceId }, now, withRefreshToken);
    return { userId, deviceId, ...tokens };
  }
}

function randomLocalpart(): string {
  return `u${randomBytes(6).toString('hex')}`;
}
