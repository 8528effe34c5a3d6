import { expect } from 'chai';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

describe('client-server-api "GET /_matrix/client/versions"', function () {
  const server = useTestHomeserver();

  it('answers matrix-js-sdk with the versions Lattice serves and no unstable features', async function () {
    const client = await createTestClient(server());
    const versions = await client.getVersions();
    // matrix-js-sdk and Element refuse servers without v1.1.
    expect(versions.versions).to.include('v1.1');
    expect(await client.isVersionSupported('v1.1')).to.equal(true);
    for (const version of versions.versions) expect(version).to.match(/^v1\.\d+$/);
    expect(versions.unstable_features).to.deep.equal({});
  });

  it('needs no access token and sends CORS headers', async function () {
    const response = await rawRequest(server().baseUrl, '/_matrix/client/versions');
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.match(/^application\/json/);
    expect(response.headers['access-control-allow-origin']).to.equal('*');
  });

  it('answers POST with 405 M_UNRECOGNIZED', async function () {
    const response = await rawRequest(server().baseUrl, '/_matrix/client/versions', { method: 'POST', body: {} });
    expect(response.status).to.equal(405);
    expect(response.json.errcode).to.equal('M_UNRECOGNIZED');
  });
});
