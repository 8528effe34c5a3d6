import { expect } from 'chai';
import { KeyedMutex } from './keyed-mutex.ts';

describe('KeyedMutex', function () {
  it('serialises work on one key and keeps going after a failure', async function () {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const slow = (name: string, ms: number, fail = false) => () =>
      new Promise<string>((resolve, reject) => setTimeout(() => (order.push(name), fail ? reject(new Error(name)) : resolve(name)), ms));
    const results = await Promise.allSettled([mutex.run('k', slow('first', 30, true)), mutex.run('k', slow('second', 1)), mutex.run('other', slow('other', 5))]);
    expect(order).to.deep.equal(['other', 'first', 'second']);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'fulfilled', 'fulfilled']);
  });
});
