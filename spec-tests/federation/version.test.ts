import { expect } from 'chai';
import packageJson from '../../package.json' with { type: 'json' };
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

describe('server-server-api "GET /_matrix/federation/v1/version"', function () {
  const server = useTestHomeserver({ tls: true });

  it('names Lattice and its version, over HTTPS', async function () {
    const response = await rawRequest(server().baseUrl, '/_matrix/federation/v1/version');
    expect(server().baseUrl).to.match(/^https:/);
    expect(response.status).to.equal(200);
    expect(response.json).to.deep.equal({ server: { name: 'Lattice', version: packageJson.version } });
  });
});
