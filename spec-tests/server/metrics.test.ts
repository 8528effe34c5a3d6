import { expect } from 'chai';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

describe('metrics resource: GET /_synapse/metrics', function () {
  const server = useTestHomeserver();

  it('exposes request latencies per endpoint in Prometheus text format', async function () {
    await rawRequest(server().baseUrl, '/_matrix/client/versions');
    const response = await rawRequest(server().baseUrl, '/_synapse/metrics');
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.match(/^text\/plain/);
    expect(response.text).to.match(/lattice_http_request_duration_seconds_count\{method="GET",endpoint="\/_matrix\/client\/versions",status="200"\} 1/);
    expect(response.text).to.include('lattice_process_resident_memory_bytes');
  });
});

describe('a server with two listeners (client on one port, federation and metrics on another)', function () {
  const server = useTestHomeserver({
    config: {
      listeners: [
        { port: 0, bind_addresses: ['127.0.0.1'], resources: [{ names: ['client'] }] },
        { port: 0, bind_addresses: ['127.0.0.1'], resources: [{ names: ['federation', 'metrics'] }] },
      ],
    },
  });

  it('starts, serves each resource on its own port, and counts both ports\' requests in one histogram', async function () {
    const [client, federation] = server().homeserver.listeners.map((listener) => listener.urls[0]!);
    expect((await rawRequest(client!, '/_matrix/client/versions')).status).to.equal(200);
    expect((await rawRequest(federation!, '/_matrix/federation/v1/version')).status).to.equal(200);
    expect((await rawRequest(client!, '/_matrix/federation/v1/version')).status).to.equal(404);
    const metrics = await rawRequest(federation!, '/_synapse/metrics');
    expect(metrics.text).to.match(/endpoint="\/_matrix\/client\/versions",status="200"\} 1/);
    expect(metrics.text).to.match(/endpoint="\/_matrix\/federation\/v1\/version",status="200"\} 1/);
  });
});
