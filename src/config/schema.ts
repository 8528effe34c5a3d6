/**
 * The configuration file's schema: types, defaults and validation in one place.
 * Key names and shapes follow Synapse's where Synapse has the same setting, so operators feel at home;
 * config.example.yaml documents every key. Objects are strict: an unknown key is a mistake, not a no-op.
 */
import { z } from 'zod';
import { parseByteSize, parseDuration } from './byte-size.ts';

const byteSize = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a size such as 50M, 512K or a number of bytes, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return bytes;
  });

const duration = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 1d, 12h, 30m or a number of milliseconds, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms;
  });

export const resourceNames = ['client', 'federation', 'keys', 'media', 'metrics'] as const;
export type ResourceName = (typeof resourceNames)[number];

const listener = z.strictObject({
  port: z.number().int().min(0).max(65535),
  bind_addresses: z.array(z.union([z.ipv4(), z.ipv6()])).min(1).default(['::1', '127.0.0.1']),
  type: z.literal('http').default('http'),
  tls: z.boolean().default(false),
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front of this listener. */
  x_forwarded: z.boolean().default(false),
  resources: z.array(z.strictObject({ names: z.array(z.enum(resourceNames)).min(1) })).min(1),
});

/** Synapse's rate limit shape: a sustained rate and how many actions may come at once. */
const rateLimit = (perSecond: number, burstCount: number) =>
  z.strictObject({ per_second: z.number().positive(), burst_count: z.number().int().positive() }).default({ per_second: perSecond, burst_count: burstCount });

const database = z.discriminatedUnion('engine', [
  z.strictObject({ engine: z.literal('sqlite'), path: z.string().min(1) }),
  z.strictObject({ engine: z.literal('postgres'), url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL') }),
]);

const ipRange = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()], { error: 'expected an IP address or CIDR range such as 10.0.0.0/8' });

// An entry of url_preview_url_blacklist: URL parts (Python urlsplit's names) → a glob, or a regular expression starting with ^.
const urlPattern = z.string().min(1).refine((pattern) => {
  if (!pattern.startsWith('^')) return true;
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}, 'expected a glob, or a regular expression starting with ^');
const urlPreviewUrlPattern = z.partialRecord(z.enum(['scheme', 'netloc', 'hostname', 'port', 'path', 'query', 'fragment', 'username', 'password']), urlPattern);

const serverName = z
  .string()
  .min(1)
  .max(255)
  // Appendices "Server Name": a DNS name, IPv4 literal or bracketed IPv6 literal, with an optional port.
  .regex(/^(?:\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Za-z.-]{1,255})(?::\d{1,5})?$/, 'expected a server name such as example.com, example.com:8448 or [::1]:8448');

export const configSchema = z
  .strictObject({
    server_name: serverName,
    public_baseurl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://matrix.example.com/' }).optional(),
    listeners: z
      .array(listener)
      .min(1)
      .default([{ port: 8008, bind_addresses: ['::1', '127.0.0.1'], type: 'http', tls: false, x_forwarded: false, resources: [{ names: ['client', 'federation'] }] }]),
    tls_certificate_path: z.string().min(1).optional(),
    tls_private_key_path: z.string().min(1).optional(),
    signing_key_path: z.string().min(1).default('data/signing.key'),
    old_signing_keys: z.record(z.string().regex(/^ed25519:[a-zA-Z0-9_]+$/, 'expected a key id such as ed25519:a_AbCd'), z.strictObject({ key: z.string().min(1), expired_ts: z.number().int().nonnegative() })).default({}),
    key_refresh_interval: duration.default(86_400_000),
    media_store_path: z.string().min(1).default('data/media_store'),
    database: database.default({ engine: 'sqlite', path: 'data/homeserver.db' }),
    enable_registration: z.boolean().default(false),
    registration_shared_secret: z.string().min(1).optional(),
    registration_requires_token: z.boolean().default(false),
    // Token lifetimes (Synapse's names); null means the token does not expire.
    refreshable_access_token_lifetime: duration.nullable().default(300_000),
    refresh_token_lifetime: duration.nullable().default(null),
    nonrefreshable_access_token_lifetime: duration.nullable().default(null),
    federation_verify_certificates: z.boolean().default(true),
    // PEM files of certificate authorities trusted for federation besides the system's (Synapse's name).
    federation_custom_ca_list: z.array(z.string().min(1)).default([]),
    // When set, the only servers this one federates with (Synapse's name); unset: any server.
    federation_domain_whitelist: z.array(serverName).optional(),
    // Notaries asked for other servers' signing keys when the servers cannot be asked directly.
    trusted_key_servers: z
      .array(z.strictObject({ server_name: serverName, verify_keys: z.record(z.string().regex(/^ed25519:[a-zA-Z0-9_]+$/, 'expected a key id such as ed25519:auto'), z.string().min(1)).optional() }))
      .default([{ server_name: 'matrix.org' }]),
    allow_public_rooms_over_federation: z.boolean().default(false),
    max_upload_size: byteSize.default(50 * 1024 ** 2),
    // Content repository (Synapse's names where Synapse has the setting): the bytes one user may upload in all
    // (unset: no limit), URIs from /media/v1/create awaiting their upload per user and how long they wait,
    // images too large to thumbnail, and whether the deprecated unauthenticated downloads still answer.
    media_upload_quota: byteSize.optional(),
    max_pending_media_uploads: z.number().int().positive().default(5),
    unused_expiration_time: duration.default(86_400_000),
    max_image_pixels: byteSize.default(32 * 1024 ** 2),
    enable_legacy_unauthenticated_media: z.boolean().default(true),
    // URL previews (Synapse's names): off unless enabled. Pages are fetched only from addresses outside
    // url_preview_ip_range_blacklist (default: the private, loopback, link-local and reserved ranges) or inside
    // its whitelist, never from URLs matching url_preview_url_blacklist, and read up to max_spider_size.
    url_preview_enabled: z.boolean().default(false),
    url_preview_ip_range_blacklist: z.array(ipRange).default(() => [...defaultIpRangeBlacklist]),
    url_preview_ip_range_whitelist: z.array(ipRange).default([]),
    url_preview_url_blacklist: z.array(urlPreviewUrlPattern).default([]),
    url_preview_accept_language: z.array(z.string().min(1)).min(1).default(['en']),
    max_spider_size: byteSize.default(10 * 1024 ** 2),
    max_json_body_size: byteSize.default(10 * 1024 ** 2),
    serve_server_wellknown: z.boolean().default(false),
    extra_well_known_client_content: z.record(z.string(), z.unknown()).default({}),
    ip_range_blacklist: z.array(ipRange).optional(),
    ip_range_whitelist: z.array(ipRange).default([]),
    default_room_version: z.string().min(1).default('12'),
    turn_uris: z.array(z.string().regex(/^turns?:/, 'expected a turn: or turns: URI')).default([]),
    turn_shared_secret: z.string().min(1).optional(),
    turn_user_lifetime: duration.default(3_600_000),
    presence: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
    // User directory search (Synapse's names): off finds nobody; search_all_users finds every local user and
    // every user in a room here, not only those sharing a room with the searcher or in a public room.
    user_directory: z
      .strictObject({ enabled: z.boolean().default(true), search_all_users: z.boolean().default(false), prefer_local_users: z.boolean().default(false) })
      .default({ enabled: true, search_all_users: false, prefer_local_users: false }),
    // How users reach the server's administrator (a mailto: or https: URI), e.g. in usage limit notices.
    admin_contact: z.string().regex(/^[a-z][a-z0-9+.-]*:/i, 'expected a URI such as mailto:admin@example.com').optional(),
    // Server notices (Synapse's names): unset, they are off.
    server_notices: z
      .strictObject({
        system_mxid_localpart: z.string().regex(/^[a-z0-9._=\-/+]+$/, 'expected a user ID localpart such as notices'),
        system_mxid_display_name: z.string().min(1).optional(),
        system_mxid_avatar_url: z.string().regex(/^mxc:\/\//, 'expected an mxc:// URI').optional(),
        room_name: z.string().min(1).default('Server Notices'),
      })
      .optional(),
    // Rate limits (Synapse's defaults): exceeding one is answered with 429 M_LIMIT_EXCEEDED.
    rc_message: rateLimit(0.2, 10),
    rc_registration: rateLimit(0.17, 3),
    rc_login: z
      .strictObject({ address: rateLimit(0.003, 5), account: rateLimit(0.003, 5), failed_attempts: rateLimit(0.17, 3) })
      .default({ address: { per_second: 0.003, burst_count: 5 }, account: { per_second: 0.003, burst_count: 5 }, failed_attempts: { per_second: 0.17, burst_count: 3 } }),
    rc_joins: z.strictObject({ local: rateLimit(0.1, 10) }).default({ local: { per_second: 0.1, burst_count: 10 } }),
    rc_invites: z.strictObject({ per_user: rateLimit(0.003, 5) }).default({ per_user: { per_second: 0.003, burst_count: 5 } }),
    rc_reports: rateLimit(1, 5),
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    log_format: z.enum(['auto', 'pretty', 'json']).default('auto'),
  })
  .superRefine((config, ctx) => {
    config.listeners.forEach((l, i) => {
      if (!l.tls) return;
      for (const key of ['tls_certificate_path', 'tls_private_key_path'] as const) {
        if (!config[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required because listeners[${i}] has tls: true` });
      }
    });
  });

/** Synapse's default deny list for outbound requests: private, loopback, link-local and reserved ranges. */
export const defaultIpRangeBlacklist = [
  '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '192.0.0.0/24', '169.254.0.0/16',
  '192.88.99.0/24', '198.18.0.0/15', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4',
  '::1/128', 'fe80::/10', 'fc00::/7', '2001:db8::/32', 'ff00::/8', 'fec0::/10',
];

export type ConfigInput = z.input<typeof configSchema>;
type ParsedConfig = z.output<typeof configSchema>;

/** The validated configuration, with paths made absolute and derived defaults filled in. */
export type Config = Omit<ParsedConfig, 'public_baseurl' | 'ip_range_blacklist'> & {
  public_baseurl: string;
  ip_range_blacklist: string[];
  /** The file this configuration was read from (absent when built in memory, e.g. by tests). */
  config_path?: string;
};
export type ListenerConfig = Config['listeners'][number];
export type DatabaseConfig = Config['database'];
