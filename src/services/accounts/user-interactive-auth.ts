/**
 * client-server-api "User-Interactive Authentication API": a request that needs UIA is answered 401
 * with flows and a session until one flow's stages are all complete; sessions live in the database so
 * they survive restarts and work behind several processes. A session is bound to the operation it was
 * started for: replaying it on another request is refused.
 */
import { randomBytes } from 'node:crypto';
import { isJsonObject } from '../../core/canonical-json.ts';
import { MatrixError, type Errcode } from '../../core/errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { UiAuthSessionRecord } from '../../storage/repositories/ui-auth-sessions.ts';
import type { Accounts } from './accounts.ts';
import type { RegistrationTokens } from './registration-tokens.ts';

export interface UiaFlow {
  stages: string[];
}

/** The 401 body of UIA: flows, params and session, plus errcode/error only after a failed attempt. */
export class UserInteractiveAuthRequired extends MatrixError {
  constructor(
    readonly body: { flows: UiaFlow[]; params: Record<string, unknown>; session: string; completed?: string[] },
    failure?: { errcode: Errcode; error: string },
  ) {
    super(failure?.errcode ?? 'M_UNAUTHORIZED', failure?.error ?? 'Additional authentication is required', { status: 401 });
    this.failed = failure !== undefined;
  }

  private readonly failed: boolean;

  override toJSON(): Record<string, unknown> {
    return this.failed ? { ...this.body, errcode: this.errcode, error: this.message } : { ...this.body };
  }
}

export interface UiaRequest {
  /** The `auth` object of the request body, if any. */
  auth: unknown;
  /** Identifies the operation (method, path and the user), so a session cannot be moved to another. */
  operation: string;
  flows: UiaFlow[];
  /** The user the operation acts for; password stages must authenticate as this user. */
  userId?: string;
}

/** A flow completed: the session it was completed in, which is then over. */
export interface CompletedUia {
  sessionId: string;
}

export const uiaSessionLifetimeMs = 24 * 3600_000;

export class UserInteractiveAuth {
  constructor(
    private readonly storage: Storage,
    private readonly accounts: Accounts,
    private readonly clock: () => number,
    private readonly registrationTokens: RegistrationTokens,
  ) {}

  /** Returns once a flow is complete; otherwise throws UserInteractiveAuthRequired (401). */
  async authenticate(request: UiaRequest): Promise<CompletedUia> {
    const auth = isJsonObject(request.auth) ? request.auth : undefined;
    const session = await this.loadOrStartSession(auth?.session, request);
    const body = (completed: string[]) => ({ flows: request.flows, params: {}, session: session.sessionId, ...(completed.length > 0 ? { completed } : {}) });
    if (!auth) throw new UserInteractiveAuthRequired(body(session.completedStages));

    let completed = session.completedStages;
    if (typeof auth.type === 'string' && !completed.includes(auth.type)) {
      const failure = await this.attemptStage(auth.type, auth, request, session);
      if (failure) throw new UserInteractiveAuthRequired(body(completed), failure);
      completed = [...completed, auth.type];
      await this.storage.uiAuthSessions.setCompletedStages(session.sessionId, completed);
    }
    if (!request.flows.some((flow) => flow.stages.every((stage) => completed.includes(stage)))) {
      throw new UserInteractiveAuthRequired(body(completed));
    }
    await this.storage.uiAuthSessions.delete(session.sessionId);
    return { sessionId: session.sessionId };
  }

  private async loadOrStartSession(sessionId: unknown, request: UiaRequest) {
    const now = this.clock();
    if (typeof sessionId === 'string') {
      const existing = await this.storage.uiAuthSessions.get(sessionId);
      if (!existing || existing.createdTs < now - uiaSessionLifetimeMs) throw new MatrixError('M_UNKNOWN', 'Unknown or expired UIA session', { status: 400 });
      if (existing.requestFingerprint !== request.operation) {
        throw new MatrixError('M_FORBIDDEN', 'Requested operation has changed during the UI authentication session');
      }
      return existing;
    }
    await this.storage.uiAuthSessions.deleteOlderThan(now - uiaSessionLifetimeMs);
    await this.storage.registrationTokens.releaseOlderThan(now - uiaSessionLifetimeMs);
    const session = { sessionId: randomBytes(18).toString('base64url'), userId: request.userId ?? null, requestFingerprint: request.operation, completedStages: [], createdTs: now };
    await this.storage.uiAuthSessions.create(session);
    return session;
  }

  /** Checks one stage; returns the failure to report, or undefined when the stage is complete. */
  private async attemptStage(type: string, auth: Record<string, unknown>, request: UiaRequest, session: UiAuthSessionRecord): Promise<{ errcode: Errcode; error: string } | undefined> {
    if (!request.flows.some((flow) => flow.stages.includes(type))) return { errcode: 'M_UNRECOGNIZED', error: `Authentication type ${type} is not offered here` };
    switch (type) {
      case 'm.login.dummy':
        return undefined;
      case 'm.login.password': {
        const userId = passwordStageUser(auth, (localpart) => this.accounts.userIdFor(localpart));
        const valid = userId !== undefined && userId === request.userId && typeof auth.password === 'string' && (await this.accounts.checkPassword(userId, auth.password));
        return valid ? undefined : { errcode: 'M_FORBIDDEN', error: 'Invalid password' };
      }
      // "Token-authenticated registration": only /register offers this stage.
      case 'm.login.registration_token': {
        if (typeof auth.token !== 'string') return { errcode: 'M_MISSING_PARAM', error: 'Missing registration token' };
        const reserved = await this.registrationTokens.reserve(session.sessionId, session.createdTs, auth.token);
        return reserved ? undefined : { errcode: 'M_UNAUTHORIZED', error: 'Invalid registration token' };
      }
      default:
        return { errcode: 'M_UNRECOGNIZED', error: `Authentication type ${type} is not supported` };
    }
  }
}

/** The user an m.login.password stage names: `identifier` (m.id.user) or the deprecated `user`. */
export function passwordStageUser(auth: Record<string, unknown>, userIdFor: (localpart: string) => string): string | undefined {
  const identifier = isJsonObject(auth.identifier) ? auth.identifier : undefined;
  const user = identifier?.type === 'm.id.user' ? identifier.user : auth.user;
  if (typeof user !== 'string') return undefined;
  return user.startsWith('@') ? user : userIdFor(user.toLowerCase());
}
