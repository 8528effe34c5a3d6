/**
 * Several Lattice servers that federate over HTTPS on loopback with their real federation clients:
 * each server name resolves through an SRV `_matrix-fed._tcp` record to its listener's port, every
 * server trusts the test CA (federation_custom_ca_list) and allows loopback (ip_range_whitelist).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { DatabaseEngine } from '../../src/storage/database.ts';
import { testDns, type TestDns } from '../../src/testing/test-dns.ts';
import { registerUser, type TestUser } from './accounts.ts';
import { startTestHomeserver, type TestHomeserver } from './homeserver.ts';
import { testCertificateAuthority } from './test-certificates.ts';

export interface FederatedServers {
  servers: TestHomeserver[];
  dns: TestDns;
  stop(): Promise<void>;
}

export async function startFederatedServers(names: readonly string[], options: { engine?: DatabaseEngine; config?: Partial<ConfigInput> } = {}): Promise<FederatedServers> {
  const records = { hosts: Object.fromEntries(names.map((name) => [name, ['127.0.0.1']])), srv: {} as Record<string, Array<{ name: string; port: number; priority: number; weight: number }>> };
  const dns = testDns(records);
  const caPath = join(mkdtempSync(join(tmpdir(), 'lattice-ca-')), 'ca.pem');
  writeFileSync(caPath, (await testCertificateAuthority()).cert);
  const config: Partial<ConfigInput> = { enable_registration: true, trusted_key_servers: [], ip_range_whitelist: ['127.0.0.1/32'], federation_custom_ca_list: [caPath], ...options.config };
  const servers: TestHomeserver[] = [];
  for (const serverName of names) {
    const server = await startTestHomeserver({ serverName, tls: true, federationDns: dns, engine: options.engine, config });
    records.srv[`_matrix-fed._tcp.${serverName}`] = [{ name: serverName, port: Number(new URL(server.baseUrl).port), priority: 0, weight: 0 }];
    servers.push(server);
  }
  return { servers, dns, stop: async () => void (await Promise.all(servers.map((server) => server.stop()))) };
}

/** a.test and b.test federating, with alice registered on a.test and bob on b.test: most tests' cast. */
export async function startAliceAndBob(options: Parameters<typeof startFederatedServers>[1] = {}): Promise<{ federation: FederatedServers; a: TestHomeserver; b: TestHomeserver; alice: TestUser; bob: TestUser }> {
  const federation = await startFederatedServers(['a.test', 'b.test'], options);
  const [a, b] = federation.servers as [TestHomeserver, TestHomeserver];
  return { federation, a, b, alice: await registerUser(a, 'alice'), bob: await registerUser(b, 'bob') };
}

/** Polls `condition` until it holds (federation is asynchronous), failing after `timeoutMs`. */
export async function eventually<T>(condition: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await condition();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
