/**
 * Writes a new configuration file from config.example.yaml, so a generated file carries the same
 * documentation as the example and the two can never drift apart.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

const examplePath = new URL('../../config.example.yaml', import.meta.url);

export interface GenerateConfigOptions {
  serverName: string;
  /** Directory for the database, signing key and media, relative to the config file. */
  dataDir?: string;
  /** Port of the single plain HTTP listener. */
  port?: number;
  publicBaseurl?: string;
}

export function generateConfigText(options: GenerateConfigOptions): string {
  const dataDir = (options.dataDir ?? 'data').replace(/\/+$/, '');
  const port = options.port ?? 8008;
  const secret = randomBytes(32).toString('base64url');
  const template = readFileSync(examplePath, 'utf8').replace(/^#registration_shared_secret:.*$/m, `registration_shared_secret: ${secret}`);
  const document = parseDocument(template);
  document.set('server_name', options.serverName);
  document.set('public_baseurl', options.publicBaseurl ?? defaultPublicBaseurl(options.serverName, port));
  document.setIn(['listeners', 0, 'port'], port);
  document.set('signing_key_path', `${dataDir}/signing.key`);
  document.set('media_store_path', `${dataDir}/media_store`);
  document.setIn(['database', 'path'], `${dataDir}/homeserver.db`);
  return document.toString();
}

/** A local test server is reached over plain HTTP on its listener; anything else sits behind HTTPS. */
function defaultPublicBaseurl(serverName: string, port: number): string {
  const host = serverName.replace(/:\d+$/, '');
  const local = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  return local ? `http://${host}:${port}/` : `https://${serverName}/`;
}
