/**
 * TLS for tests, made at test time: one throwaway CA per test process, and a certificate signed by
 * it for each server name, so clients and federating servers can verify certificates properly
 * by trusting the CA instead of switching verification off.
 */
import selfsigned from 'selfsigned';

export interface TestCertificate {
  cert: string;
  key: string;
}

let authority: Promise<TestCertificate> | undefined;

export function testCertificateAuthority(): Promise<TestCertificate> {
  authority ??= selfsigned
    .generate([{ name: 'commonName', value: 'Lattice test CA' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    })
    .then((result) => ({ cert: result.cert, key: result.private }));
  return authority;
}

/** A server certificate for `serverName` (host part), localhost and the loopback addresses. */
export async function issueTestCertificate(serverName: string): Promise<TestCertificate> {
  const ca = await testCertificateAuthority();
  const host = serverName.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  const result = await selfsigned.generate([{ name: 'commonName', value: host }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 86_400_000),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [isIp ? { type: 7, ip: host } : { type: 2, value: host }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }],
      },
    ],
  });
  return { cert: result.cert, key: result.private };
}
