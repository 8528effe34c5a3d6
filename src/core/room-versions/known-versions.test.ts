import { expect } from 'chai';
import { MatrixError } from '../errors.ts';
import { defaultRoomVersion, getRoomVersion, isSupportedRoomVersion, supportedRoomVersions } from './known-versions.ts';
import type { RoomVersionRules } from './room-version-rules.ts';

/** The versions (of 1–12) for which `rule` holds. */
function versionsWhere(rule: (rules: RoomVersionRules) => boolean): string[] {
  return supportedRoomVersions.filter((id) => rule(getRoomVersion(id)));
}

describe('room versions', () => {
  it('supports the stable versions 1 to 12 and creates rooms in 12', () => {
    expect(supportedRoomVersions).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    expect(defaultRoomVersion).to.equal('12');
    expect(isSupportedRoomVersion(defaultRoomVersion)).to.equal(true);
    for (const id of supportedRoomVersions) expect(getRoomVersion(id)).to.include({ id, stable: true });
  });

  it('fails closed on any other version', () => {
    for (const id of ['0', '13', '', '1.0', ' 1', '01', 'org.matrix.msc2176', '__proto__', 'toString', 'constructor']) {
      expect(isSupportedRoomVersion(id), id).to.equal(false);
      expect(() => getRoomVersion(id), id).to.throw(MatrixError).with.property('errcode', 'M_UNSUPPORTED_ROOM_VERSION');
    }
  });

  it('cannot be modified by callers', () => {
    expect(() => {
      (getRoomVersion('1') as RoomVersionRules).knocking = true;
    }).to.throw(TypeError);
  });

  // Each rule against the room version pages that introduce it.
  it('event ID and room ID formats', () => {
    expect(versionsWhere((r) => r.eventIdFormat === 'server-generated')).to.deep.equal(['1', '2']);
    expect(versionsWhere((r) => r.eventIdFormat === 'reference-hash-base64')).to.deep.equal(['3']);
    expect(versionsWhere((r) => r.eventIdFormat === 'reference-hash-base64url')).to.deep.equal(['4', '5', '6', '7', '8', '9', '10', '11', '12']);
    expect(versionsWhere((r) => r.roomIdFormat === 'create-event-reference-hash')).to.deep.equal(['12']);
  });

  it('state resolution algorithms', () => {
    expect(supportedRoomVersions.map((id) => getRoomVersion(id).stateResolution)).to.deep.equal([
      'v1', 'v2', 'v2', 'v2', 'v2', 'v2', 'v2', 'v2', 'v2', 'v2', 'v2', 'v2.1',
    ]);
  });

  it('features by the version that introduced them', () => {
    const from = (first: number): string[] => supportedRoomVersions.slice(first - 1);
    expect(versionsWhere((r) => r.enforceKeyValidity)).to.deep.equal(from(5));
    expect(versionsWhere((r) => r.strictCanonicalJson)).to.deep.equal(from(6));
    expect(versionsWhere((r) => r.knocking)).to.deep.equal(from(7));
    expect(versionsWhere((r) => r.restrictedJoins)).to.deep.equal(from(8));
    expect(versionsWhere((r) => r.integerPowerLevels)).to.deep.equal(from(10));
    expect(versionsWhere((r) => r.knockRestricted)).to.deep.equal(from(10));
    expect(versionsWhere((r) => r.creatorFromSender)).to.deep.equal(from(11));
    expect(versionsWhere((r) => r.redactsInContent)).to.deep.equal(from(11));
    expect(versionsWhere((r) => r.privilegedCreators)).to.deep.equal(from(12));
  });

  it('redaction rules by the version that changed them', () => {
    const from = (first: number): string[] => supportedRoomVersions.slice(first - 1);
    const before = (first: number): string[] => supportedRoomVersions.slice(0, first - 1);
    expect(versionsWhere((r) => r.redactionKeepsAliases)).to.deep.equal(before(6));
    expect(versionsWhere((r) => r.redactionKeepsJoinRulesAllow)).to.deep.equal(from(8));
    expect(versionsWhere((r) => r.redactionKeepsJoinAuthorisedVia)).to.deep.equal(from(9));
    expect(versionsWhere((r) => r.redactionKeepsOriginMembershipPrevState)).to.deep.equal(before(11));
    expect(versionsWhere((r) => r.redactionKeepsThirdPartyInviteSigned)).to.deep.equal(from(11));
    expect(versionsWhere((r) => r.redactionKeepsAllCreateContent)).to.deep.equal(from(11));
    expect(versionsWhere((r) => r.redactionKeepsPowerLevelsInvite)).to.deep.equal(from(11));
    expect(versionsWhere((r) => r.redactionKeepsRedactsInContent)).to.deep.equal(from(11));
  });
});
