/**
 * Rate limiting (client-server-api "Rate limiting"): each limited endpoint names a bucket from the
 * configuration (Synapse's rc_* settings); requests are counted per user when authenticated, else per
 * client address, and one over the limit is refused with 429 M_LIMIT_EXCEEDED and retry_after_ms.
 * Counters live in this process's memory, like Synapse's.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { MatrixError } from '../core/errors.ts';

export type RateLimitBucket = 'message' | 'registration' | 'login' | 'loginAccount' | 'loginFailure' | 'joins' | 'invites' | 'reports';

export class RateLimits {
  private readonly limiters: Record<RateLimitBucket, RateLimiterMemory>;

  constructor(config: Pick<Config, 'rc_message' | 'rc_registration' | 'rc_login' | 'rc_joins' | 'rc_invites' | 'rc_reports'>) {
    const limiter = ({ per_second, burst_count }: { per_second: number; burst_count: number }) =>
      // A window that admits burst_count actions and refills at per_second on average.
      new RateLimiterMemory({ points: burst_count, duration: Math.max(burst_count / per_second, 1) });
    this.limiters = {
      message: limiter(config.rc_message),
      registration: limiter(config.rc_registration),
      login: limiter(config.rc_login.address),
      loginAccount: limiter(config.rc_login.account),
      loginFailure: limiter(config.rc_login.failed_attempts),
      joins: limiter(config.rc_joins.local),
      invites: limiter(config.rc_invites.per_user),
      reports: limiter(config.rc_reports),
    };
  }

  /** Throws M_LIMIT_EXCEEDED if `key` has used up the bucket, without counting an action. */
  async check(bucket: RateLimitBucket, key: string): Promise<void> {
    const limiter = this.limiters[bucket];
    const state = await limiter.get(key);
    if (state && state.consumedPoints >= limiter.points) throw limitExceeded(state.msBeforeNext);
  }

  /** Counts one action of `key` against the bucket; throws M_LIMIT_EXCEEDED when over. */
  async consume(bucket: RateLimitBucket, key: string): Promise<void> {
    try {
      await this.limiters[bucket].consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw limitExceeded(rejection.msBeforeNext);
    }
  }
}

function limitExceeded(msBeforeNext: number): MatrixError {
  return new MatrixError('M_LIMIT_EXCEEDED', 'Too many requests', { extra: { retry_after_ms: Math.max(msBeforeNext, 1) } });
}
