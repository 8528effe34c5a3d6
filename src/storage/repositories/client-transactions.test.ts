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

    it('records responses in one statement and names the keys recorded before, leaving their responses', async function () {
      expect(await storage.clientTransactions.record(key('t1'), { event_id: '$first' }, 1)).to.equal(true);
      const taken = await storage.clientTransactions.recordMany(
        [
          { key: key('t1'), response: { event_id: '$second' } },
          { key: key('t2'), response: { event_id: '$t2' } },
          { key: key('t1', 'OTHER'), response: { event_id: '$other' } },
        ],
        2,
      );
      expect(taken).to.deep.equal([key('t1')]);
      expect(await storage.clientTransactions.response(key('t1'))).to.deep.equal({ event_id: '$first' });
      expect(await storage.clientTransactions.response(key('t2'))).to.deep.equal({ event_id: '$t2' });
      expect(await storage.clientTransactions.response(key('t1', 'OTHER'))).to.deep.equal({ event_id: '$other' });
      expect(await storage.clientTransactions.record(key('t2'), { event_id: '$again' }, 3)).to.equal(false);
    });
  });
});
