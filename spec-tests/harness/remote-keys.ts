/**
 * A RemoteServerKeys of a server that exists only in the test ("asker"): its own fresh database and
 * signing key, a test clock and a recording requester, for tests that drive key lookups directly
 * against real test servers.
 */
import { generateSigningKey } from '../../src/core/crypto/signing-key.ts';
import { initCrypto } from '../../src/core/crypto/sodium.ts';
import { RemoteServerKeys, type TrustedKeyServer } from '../../src/services/federation/remote-server-keys.ts';
import { ServerKeys } from '../../src/services/signing-keys/server-keys.ts';
import { Storage } from '../../src/storage/storage.ts';
import { createTestDatabase } from '../../src/testing/test-databases.ts';
import { TestFederationRequester } from './server-requests.ts';

export interface KeyLookupFixture {
  serverName: string;
  service: RemoteServerKeys;
  requester: TestFederationRequester;
  storage: Storage;
  serverKeys: ServerKeys;
  /** A second service over the same database, as after a restart. */
  restart(): RemoteServerKeys;
  close(): Promise<void>;
}

export async function createKeyLookup(options: { clock: () => number; directory: Map<string, string>; trustedKeyServers?: TrustedKeyServer[]; serverName?: string }): Promise<KeyLookupFixture> {
  await initCrypto();
  const serverName = options.serverName ?? 'asker.test';
  const database = await createTestDatabase('sqlite');
  const { storage } = await Storage.open(database.options);
  const signingKey = generateSigningKey();
  const { serverKeys } = await ServerKeys.start(storage, { serverName, signingKey, configuredOldKeys: {}, validityMs: 3600_000, clock: options.clock });
  const requester = new TestFederationRequester(options.directory);
  requester.origin = { serverName, key: signingKey };
  const make = () => new RemoteServerKeys(storage, serverKeys, requester, { serverName, trustedKeyServers: options.trustedKeyServers ?? [], clock: options.clock });
  return {
    serverName,
    service: make(),
    requester,
    storage,
    serverKeys,
    restart: make,
    close: async () => {
      await storage.close();
      await database.drop();
    },
  };
}
