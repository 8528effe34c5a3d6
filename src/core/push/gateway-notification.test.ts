import { expect } from 'chai';
import { badgeNotification, eventNotification, priorityOf, tweaksOf } from './gateway-notification.ts';

describe('gateway notifications (push-gateway-api "POST /_matrix/push/v1/notify")', () => {
  const device = { appId: 'app', pushkey: 'key', pushkeyTs: 12_345_678_999, data: { url: 'https://gateway.test/_matrix/push/v1/notify', format: 'event_id_only', extra: 1 } };

  it('"set_tweak": tweaks carry their values; highlight without a value is true; other tweaks without a value are not sent', () => {
    expect(tweaksOf(['notify', { set_tweak: 'sound', value: 'bing' }, { set_tweak: 'highlight' }, { set_tweak: 'custom' }])).to.deep.equal({ sound: 'bing', highlight: true });
    expect(tweaksOf(['notify', { set_tweak: 'highlight', value: false }])).to.deep.equal({ highlight: false });
  });

  it('"prio": high for a sound, a highlight or an encrypted event; low otherwise', () => {
    expect(priorityOf('m.room.message', { sound: 'default' })).to.equal('high');
    expect(priorityOf('m.room.message', { highlight: true })).to.equal('high');
    expect(priorityOf('m.room.encrypted', {})).to.equal('high');
    expect(priorityOf('m.room.message', { highlight: false })).to.equal('low');
  });

  it('"user_is_target" is set for member events; "data" loses url and keeps format; "pushkey_ts" is in seconds', () => {
    const body = eventNotification({
      event: { eventId: '$e', roomId: '!r:hs', type: 'm.room.member', sender: '@a:hs', stateKey: '@b:hs', content: { membership: 'invite' } },
      userId: '@b:hs',
      actions: ['notify'],
      counts: { unread: 3 },
      device: { ...device, data: { url: device.data.url, extra: 1 } },
      context: {},
    });
    expect(body).to.deep.equal({
      notification: {
        event_id: '$e', room_id: '!r:hs', type: 'm.room.member', sender: '@a:hs', user_is_target: true, prio: 'low',
        content: { membership: 'invite' }, counts: { unread: 3 },
        devices: [{ app_id: 'app', pushkey: 'key', pushkey_ts: 12_345_678, data: { extra: 1 }, tweaks: {} }],
      },
    });
    expect(badgeNotification(device, { unread: 0 })).to.deep.equal({
      notification: { counts: { unread: 0 }, devices: [{ app_id: 'app', pushkey: 'key', pushkey_ts: 12_345_678, data: { format: 'event_id_only', extra: 1 } }] },
    });
  });
});
