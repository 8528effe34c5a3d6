import { expect } from 'chai';
import { forEachDatabase } from '../../testing/test-databases.ts';
import { Storage } from '../storage.ts';

describe('ClientTransactionRepository', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    before(async () => {
      ({ storage } = await Storage.open(database()));
    });
    after(() => storage.close());

    const key = (txnId: string, deviceId = 'DEV') => ({ userId: '@a:x', deviceId, endpoint: 'send:!r:x', txnId });

    it('records responses in one statement; a key recorded before fails it and leaves every response as it was', async function () {
      expect(await storage.clientTransactions.record(key('t1'), { event_id: '$first' }, 1)).to.equal(true);
      await storage.transaction((tx) =>
        tx.clientTransactions.recordAll(
          [
            { key: key('t2'), response: { event_id: '$t2' } },
            { key: key('t1', 'OTHER'), response: { event_id: '$other' } },
          ],
          2,
        ),
      );
      const retried = await storage.transaction((tx) => tx.clientTransactions.recordAll([{ key: key('t3'), response: { event_id: '$t3' } }, { key: key('t1'), response: { event_id: '$second' } }], 3)).then(
        () => 'committed',
        (error: Error) => error.message,
      );
      expect(retried).to.match(/unique|duplicate/i);
      expect(await storage.clientTransactions.response(key('t1'))).to.deep.equal({ event_id: '$first' });
      expect(await storage.clientTransactions.response(key('t2'))).to.deep.equal({ event_id: '$t2' });
      expect(await storage.clientTransactions.response(key('t1', 'OTHER'))).to.deep.equal({ event_id: '$other' });
      expect(await storage.clientTransactions.response(key('t3'))).to.equal(undefined);
      expect(await storage.clientTransactions.record(key('t2'), { event_id: '$again' }, 3)).to.equal(false);
    });
  });
});
