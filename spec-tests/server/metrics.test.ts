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
