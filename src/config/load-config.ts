/**
 * Reads, validates and completes the configuration. The only code that reads config files.
 * Relative paths in the file are resolved against the file's own directory, so a server started
 * from anywhere finds the same data.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, defaultIpRangeBlacklist, type Config } from './schema.ts';
import { describeIssue } from './describe-issue.ts';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const defaultConfigPath = 'lattice.yaml';

/** The config path a command should use: its -c option, then LATTICE_CONFIG, then ./lattice.yaml. */
export function chooseConfigPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): { path: string; explicit: boolean } {
  const chosen = option ?? env.LATTICE_CONFIG;
  return { path: resolve(chosen ?? defaultConfigPath), explicit: chosen !== undefined };
}

export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(path, [`cannot read the configuration file: ${reason}`]);
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(path, document.errors.map((e) => `YAML syntax error: ${e.message.split('\n')[0]}`));
  }
  return parseConfig(document.toJS() ?? {}, { source: path, baseDir: dirname(path) });
}

/** Validates configuration data (already parsed from YAML) and fills in derived values. */
export function parseConfig(data: unknown, options: { source: string; baseDir: string }): Config {
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(options.source, result.error.issues.map((issue: z.core.$ZodIssue) => describeIssue(issue, data)));
  }
  const parsed = result.data;
  const at = (path: string) => (isAbsolute(path) ? path : resolve(options.baseDir, path));
  return {
    ...parsed,
    public_baseurl: withTrailingSlash(parsed.public_baseurl ?? `https://${parsed.server_name}/`),
    signing_key_path: at(parsed.signing_key_path),
    media_store_path: at(parsed.media_store_path),
    tls_certificate_path: parsed.tls_certificate_path && at(parsed.tls_certificate_path),
    tls_private_key_path: parsed.tls_private_key_path && at(parsed.tls_private_key_path),
    federation_custom_ca_list: parsed.federation_custom_ca_list.map(at),
    database: parsed.database.engine === 'sqlite' ? { ...parsed.database, path: at(parsed.database.path) } : parsed.database,
    ip_range_blacklist: parsed.ip_range_blacklist ?? defaultIpRangeBlacklist,
    config_path: options.source,
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
