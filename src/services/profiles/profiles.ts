/**
 * User profiles (client-server-api "Profiles", v1.16 custom fields): displayname, avatar_url and any
 * namespaced field, a whole profile under 64 KiB. Only the user edits their own profile.
 */
import { MatrixError } from '../../core/errors.ts';
import { isUserId, serverNameOf, type UserId } from '../../core/ids/identifiers.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';

const maxProfileBytes = 64 * 1024;
const maxKeyBytes = 255;
const utf8 = new TextEncoder();

/** The profile fields member events carry. */
const memberEventFields = new Set(['displayname', 'avatar_url']);

/** Fields whose values the spec constrains to strings. */
const stringFields = new Set(['displayname', 'avatar_url', 'm.tz']);

export class Profiles {
  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    /** Called after a user's displayname or avatar changed (to update their member events). */
    private readonly afterChange: (userId: string) => Promise<void> = async () => {},
    /** Profiles of other servers' users, asked over federation. */
    private readonly remote?: { profile(userId: string): Promise<Record<string, unknown>> },
  ) {}

  async profile(userId: string): Promise<Record<string, unknown>> {
    if (this.remote && isUserId(userId) && serverNameOf(userId as UserId) !== this.serverName) return this.remote.profile(userId);
    await this.requireLocalUser(userId);
    return this.storage.profiles.get(userId);
  }

  async field(userId: string, key: string): Promise<unknown> {
    const profile = await this.profile(userId);
    if (!Object.hasOwn(profile, key)) throw new MatrixError('M_NOT_FOUND', 'Profile field not set');
    return profile[key];
  }

  async setField(requester: Requester, userId: string, key: string, value: unknown): Promise<void> {
    this.requireSelf(requester, userId);
    if (utf8.encode(key).length > maxKeyBytes) throw new MatrixError('M_KEY_TOO_LARGE', `Profile keys are limited to ${maxKeyBytes} bytes`);
    if (stringFields.has(key) && typeof value !== 'string') throw new MatrixError('M_INVALID_PARAM', `${key} must be a string`);
    if (key === 'avatar_url' && value !== '' && !String(value).startsWith('mxc://')) throw new MatrixError('M_INVALID_PARAM', 'avatar_url must be an mxc:// URI');
    const updated = { ...(await this.storage.profiles.get(userId)), [key]: value };
    if (utf8.encode(JSON.stringify(updated)).length > maxProfileBytes) throw new MatrixError('M_PROFILE_TOO_LARGE', 'The profile would exceed 64 KiB');
    await this.storage.profiles.set(userId, key, value);
    if (memberEventFields.has(key)) await this.afterChange(userId);
  }

  async deleteField(requester: Requester, userId: string, key: string): Promise<void> {
    this.requireSelf(requester, userId);
    await this.storage.profiles.delete(userId, key);
    if (memberEventFields.has(key)) await this.afterChange(userId);
  }

  private requireSelf(requester: Requester, userId: string): void {
    if (requester.userId !== userId) throw new MatrixError('M_FORBIDDEN', "Cannot change another user's profile");
  }

  private async requireLocalUser(userId: string): Promise<void> {
    if (!isUserId(userId, { historical: true })) throw new MatrixError('M_INVALID_PARAM', 'Invalid user ID');
    // Profiles of users on other servers are queried over federation, which is not built yet.
    if (serverNameOf(userId as UserId) !== this.serverName) throw new MatrixError('M_NOT_FOUND', 'Profile not found');
    const user = await this.storage.users.get(userId);
    if (!user || user.deactivatedTs !== null) throw new MatrixError('M_NOT_FOUND', 'Profile not found');
  }
}
