import type { JsonObject } from '../canonical-json.ts';
import { signJson } from '../crypto/sign-json.ts';
import { encodePublicKey, generateSigningKey, type SigningKey } from '../crypto/signing-key.ts';
import { initCrypto } from '../crypto/sodium.ts';
import { expectAllowed, expectRejected, TestAuthRoom, versionsFrom } from './test-events.ts';

const alice = '@alice:example.org';
const bob = '@bob:example.org';
const carol = '@carol:other.example';
const token = 'abc123';

describe('rooms "Authorization rules": invites with third_party_invite (v1 5.3.1, v6 4.3.1, v8 4.4.1)', () => {
  let identityKey: SigningKey;
  let otherKey: SigningKey;
  before(async () => {
    await initCrypto();
    identityKey = generateSigningKey();
    otherKey = generateSigningKey();
  });

  /** A room where alice (creator) sent an m.room.third_party_invite offering `keys` for `token`. */
  function roomWithThirdPartyInvite(version: string, content: JsonObject): TestAuthRoom {
    const room = TestAuthRoom.standard(version, { joinRule: 'invite' });
    room.send({ type: 'm.room.third_party_invite', sender: alice, stateKey: token, content: { display_name: 'c…@example.org', key_validity_url: 'https://id.example.org/v', ...content } });
    return room;
  }

  function signed(fields: JsonObject, key: SigningKey = identityKey): JsonObject {
    return signJson(fields, 'id.example.org', key);
  }

  const invite = (sender: string, target: string, thirdPartyInvite: unknown) => ({
    type: 'm.room.member',
    sender,
    stateKey: target,
    content: { membership: 'invite', third_party_invite: thirdPartyInvite },
  });

  for (const version of versionsFrom(1)) {
    it(`v${version}: allows an invite whose signed block verifies against public_key or public_keys`, () => {
      const single = roomWithThirdPartyInvite(version, { public_key: encodePublicKey(identityKey) });
      expectAllowed(single.check(invite(alice, carol, { display_name: 'c', signed: signed({ mxid: carol, token }) })));
      const listed = roomWithThirdPartyInvite(version, { public_key: encodePublicKey(otherKey), public_keys: [{ public_key: encodePublicKey(identityKey) }] });
      expectAllowed(listed.check(invite(alice, carol, { display_name: 'c', signed: signed({ mxid: carol, token }) })));
    });

    it(`v${version}: rejects a signature by a key the invite does not offer, or a tampered signed block`, () => {
      const room = roomWithThirdPartyInvite(version, { public_key: encodePublicKey(identityKey) });
      expectRejected(room.check(invite(alice, carol, { signed: signed({ mxid: carol, token }, otherKey) })), 'member.invite.third-party.otherwise');
      const tampered = { ...signed({ mxid: carol, token }), extra: 1 };
      expectRejected(room.check(invite(alice, carol, { signed: tampered })), 'member.invite.third-party.otherwise');
      expectRejected(room.check(invite(alice, carol, { signed: { mxid: carol, token } })), 'member.invite.third-party.otherwise');
    });

    it(`v${version}: rejects a banned target, a missing signed, mxid or token, and a mismatched mxid`, () => {
      const room = roomWithThirdPartyInvite(version, { public_key: encodePublicKey(identityKey) });
      expectRejected(room.check(invite(alice, carol, {})), 'member.invite.third-party.no-signed');
      expectRejected(room.check(invite(alice, carol, { signed: 'yes' })), 'member.invite.third-party.no-signed');
      expectRejected(room.check(invite(alice, carol, { signed: signed({ token }) })), 'member.invite.third-party.signed-fields');
      expectRejected(room.check(invite(alice, carol, { signed: signed({ mxid: carol }) })), 'member.invite.third-party.signed-fields');
      expectRejected(room.check(invite(alice, carol, { signed: signed({ mxid: bob, token }) })), 'member.invite.third-party.mxid');
      room.member(alice, carol, 'ban');
      expectRejected(room.check(invite(alice, carol, { signed: signed({ mxid: carol, token }) })), 'member.invite.third-party.banned');
    });

    it(`v${version}: needs the m.room.third_party_invite of the token, sent by the inviter`, () => {
      const room = roomWithThirdPartyInvite(version, { public_key: encodePublicKey(identityKey) });
      expectRejected(room.check(invite(alice, carol, { signed: signed({ mxid: carol, token: 'other' }) })), 'member.invite.third-party.no-invite-event');
      room.member(alice, bob, 'invite');
      room.join(bob);
      expectRejected(room.check(invite(bob, carol, { signed: signed({ mxid: carol, token }) })), 'member.invite.third-party.sender');
    });
  }
});
