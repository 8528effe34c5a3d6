import { expect } from 'chai';
import type { NotificationRecord } from '../../storage/repositories/event-push-actions.ts';
import type { PusherRecord } from '../../storage/repositories/pushers.ts';
import { PushGatewayError } from './push-gateway-client.ts';
import { giveUpAfterMs, PusherQueue, type PusherQueueContext } from './pusher-queue.ts';

const pusher: PusherRecord = {
  userId: '@bob:hs.test',
  appId: 'app',
  pushkey: 'key',
  kind: 'http',
  deviceId: 'DEVICE',
  appDisplayName: 'App',
  deviceDisplayName: 'Phone',
  profileTag: null,
  lang: 'en',
  data: { url: 'https://gateway.test/_matrix/push/v1/notify' },
  createdTs: 0,
  lastStreamPosition: 0,
  lastSuccessTs: null,
  failingSinceTs: null,
};

const row = (streamPosition: number, read = false): NotificationRecord => ({
  userId: pusher.userId,
  roomId: '!room:hs.test',
  eventId: `$e${streamPosition}`,
  streamPosition,
  threadId: null,
  notify: true,
  highlight: false,
  actions: ['notify'],
  read,
});

/** A context over fixed rows, whose gateway answers each send with the next scripted outcome (success by default). */
function fakeContext(rows: NotificationRecord[], answers: Array<Error | string[]> = []) {
  const state = { now: 1_000_000, sent: [] as string[], progress: [] as number[], failingSince: [] as Array<number | null>, outcomes: [] as string[], settled: Promise.resolve() };
  let settle: () => void = () => undefined;
  const context: PusherQueueContext = {
    clock: () => state.now,
    pending: async (_pusher, after, upTo, limit) => rows.filter((r) => r.streamPosition > after && r.streamPosition <= upTo).slice(0, limit),
    notificationBody: async (_pusher, notification) => ({ body: { notification: { event_id: notification.eventId } }, unread: 1 }),
    badgeBody: async () => ({ body: {}, unread: 0 }),
    send: async (_url, body) => {
      state.sent.push((body.notification as { event_id: string }).event_id);
      const answer = answers.shift() ?? [];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    recordProgress: async (_key, progress) => {
      state.progress.push(progress.lastStreamPosition);
      state.failingSince.push(progress.failingSinceTs);
      if (progress.lastStreamPosition === rows.at(-1)!.streamPosition) settle();
      return true;
    },
    setFailingSince: async () => undefined,
    rejected: async () => settle(),
    onFailure: (_key, _error, outcome) => state.outcomes.push(outcome),
  };
  state.settled = new Promise<void>((resolve) => (settle = resolve));
  return { context, state };
}

describe('PusherQueue (push-gateway-api "Homeserver behaviour")', () => {
  const queues: PusherQueue[] = [];
  afterEach(() => queues.forEach((queue) => queue.stop()));
  const start = (context: PusherQueueContext, upTo: number) => {
    const queue = new PusherQueue(pusher, context, upTo);
    queues.push(queue);
    queue.wake();
    return queue;
  };

  it('sends in stream order, skips what the user has read, and records each position dealt with', async () => {
    const { context, state } = fakeContext([row(1), row(2, true), row(3)]);
    start(context, 3);
    await state.settled;
    expect(state.sent).to.deep.equal(['$e1', '$e3']);
    expect(state.progress).to.deep.equal([1, 2, 3]);
  });

  it('reads only up to the position it was told of', async () => {
    const { context, state } = fakeContext([row(1), row(2)]);
    const queue = start(context, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.sent).to.deep.equal(['$e1']);
    queue.notifyUpTo(2);
    await state.settled;
    expect(state.sent).to.deep.equal(['$e1', '$e2']);
  });

  it('drops a notification the gateway refuses for good (4xx) and goes on', async () => {
    const { context, state } = fakeContext([row(1), row(2)], [new PushGatewayError('the push gateway answered 400', false)]);
    start(context, 2);
    await state.settled;
    expect(state.sent).to.deep.equal(['$e1', '$e2']);
    expect(state.outcomes).to.deep.equal(['dropped']);
  });

  it('gives up on a notification once the pusher has been failing for a day, and sends the next', async () => {
    const unreachable = () => new PushGatewayError('cannot reach the push gateway', true);
    const { context, state } = fakeContext([row(1), row(2)], [unreachable(), unreachable()]);
    start(context, 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.outcomes).to.deep.equal(['retrying']);
    state.now += giveUpAfterMs + 1;
    await state.settled;
    expect(state.sent).to.deep.equal(['$e1', '$e1', '$e2']);
    expect(state.outcomes).to.deep.equal(['retrying', 'given up']);
    expect(state.failingSince).to.deep.equal([null, null]);
  });
});
