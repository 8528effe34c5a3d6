import { expect } from 'chai';
import type { JsonObject } from '../../../core/canonical-json.ts';
import type { OutboxEntry } from '../../../storage/repositories/federation-outbox.ts';
import { DestinationQueue, type QueueContext } from './destination-queue.ts';

describe('DestinationQueue', function () {
  it('reads the outbox again when woken while it read it: an event written then is not left waiting', async function () {
    const outbox: OutboxEntry[] = [];
    const sent: JsonObject[][] = [];
    let queue!: DestinationQueue;
    let reads = 0;
    const context: QueueContext = {
      serverName: 'a.test',
      clock: Date.now,
      transport: {
        request: async <T>(request: { body: JsonObject }) => {
          sent.push(request.body.pdus as JsonObject[]);
          return { status: 200, json: {} as T };
        },
      },
      nextEvents: async () => {
        reads++;
        const found = outbox.splice(0);
        // The first read finds nothing; the event is written (and the queue woken) just after it.
        if (reads === 1) {
          outbox.push({ destination: 'b.test', streamPosition: 1, eventId: '$late' });
          queue.wake();
        }
        return found;
      },
      nextEdus: async () => [],
      pdusOf: async (entries) => entries.map((entry) => ({ event_id: entry.eventId })),
      delivered: async () => undefined,
      onError: () => undefined,
    };
    queue = new DestinationQueue('b.test', context);
    queue.wake();
    for (let i = 0; i < 50 && sent.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sent).to.deep.equal([[{ event_id: '$late' }]]);
    queue.stop();
  });
});
