import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

describe('FederationOutboxRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    // A row with a smaller key can commit after a larger one was read and sent (a relayed event, a
    // to-device message whose transaction committed late): delivering the larger must not take it.
    it('removes only the events and EDUs that were sent, not those with smaller keys', async function () {
      const outbox = storage.federationOutbox;
      await outbox.add([{ destination: 'b.test', streamPosition: 7, eventId: '$seven' }]);
      await outbox.add([{ destination: 'b.test', streamPosition: 5, eventId: '$five' }, { destination: 'c.test', streamPosition: 7, eventId: '$seven' }]);
      await outbox.remove('b.test', [7]);
      expect((await outbox.next('b.test', 10)).map((entry) => entry.eventId)).to.deep.equal(['$five']);
      expect((await outbox.next('c.test', 10)).map((entry) => entry.eventId)).to.deep.equal(['$seven']);

      await outbox.addEdus([{ destination: 'b.test', edu: { edu_type: 'm.test', content: { n: 1 } } }]);
      await outbox.addEdus([{ destination: 'b.test', edu: { edu_type: 'm.test', content: { n: 2 } } }]);
      const [first, second] = await outbox.nextEdus('b.test', 10);
      await outbox.removeEdus('b.test', [second!.id]);
      expect((await outbox.nextEdus('b.test', 10)).map((entry) => entry.edu.content)).to.deep.equal([{ n: 1 }]);
      expect(first!.id).to.be.below(second!.id);
      expect((await outbox.destinations()).sort()).to.deep.equal(['b.test', 'c.test']);
    });
  });
});
