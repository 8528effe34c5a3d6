import { expect } from 'chai';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

describe('client-server-api "Server Discovery": GET /.well-known/matrix/client', function () {
  const server = useTestHomeserver({
    serverName: 'discovery.test',
    config: { public_baseurl: 'https://matrix.discovery.test/', extra_well_known_client_content: { 'org.example.setting': { on: true } } },
  });

  it('points clients at public_baseurl and merges extra content', async function () {
    const response = await rawRequest(server().baseUrl, '/.well-known/matrix/client');
    expect(response.status).to.equal(200);
    expect(response.json).to.deep.equal({ 'm.homeserver': { base_url: 'https://matrix.discovery.test' }, 'org.example.setting': { on: true } });
    expect(response.headers['access-control-allow-origin']).to.equal('*');
  });

  it('does not serve /.well-known/matrix/server unless serve_server_wellknown is on', async function () {
    const response = await rawRequest(server().baseUrl, '/.well-known/matrix/server');
    expect(response.status).to.equal(404);
    expect(response.json.errcode).to.equal('M_NOT_FOUND');
  });
});

describe('server-server-api "Server discovery": GET /.well-known/matrix/server', function () {
  const defaultPort = useTestHomeserver({ serverName: 'example.test', config: { public_baseurl: 'https://matrix.example.test/', serve_server_wellknown: true } });
  const explicitPort = useTestHomeserver({ serverName: 'other.test', config: { public_baseurl: 'https://fed.other.test:8443/', serve_server_wellknown: true } });

  it('delegates to the public_baseurl host on port 443 by default', async function () {
    const response = await rawRequest(defaultPort().baseUrl, '/.well-known/matrix/server');
    expect(response.status).to.equal(200);
    expect(response.json).to.deep.equal({ 'm.server': 'matrix.example.test:443' });
  });

  it('keeps an explicit public_baseurl port', async function () {
    const response = await rawRequest(explicitPort().baseUrl, '/.well-known/matrix/server');
    expect(response.json).to.deep.equal({ 'm.server': 'fed.other.test:8443' });
  });
});
