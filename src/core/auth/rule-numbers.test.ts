import { expect } from 'chai';
import { getRoomVersion, supportedRoomVersions } from '../room-versions/known-versions.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { allRulePaths, ruleNumber } from './rule-numbers.ts';

const number = (path: string, version: string): string => ruleNumber(path, getRoomVersion(version));

describe('authorization rule numbers per room version', () => {
  it('match the numbered lists of rooms/v1, v3, v6, v7, v8, v10, v11 and v12', () => {
    const table: Array<[string, Record<string, string>]> = [
      ['create.creator', { 1: '1.4', 10: '1.4' }],
      ['create.allow', { 1: '1.5', 11: '1.4', 12: '1.5' }],
      ['create.additional-creators', { 12: '1.4' }],
      ['room-id-is-create', { 12: '2' }],
      ['auth-events.missing-create', { 1: '2.4', 12: '3.4' }],
      ['auth-events.room-id', { 1: '2.5', 12: '3.5' }],
      ['federate', { 1: '3', 6: '3', 12: '4' }],
      ['aliases.domain', { 1: '4.2', 5: '4.2' }],
      ['member.join.banned', { 1: '5.2.3', 6: '4.2.3', 8: '4.3.3', 12: '5.3.3' }],
      ['member.join.public', { 1: '5.2.5', 7: '4.2.5', 8: '4.3.6' }],
      ['member.join.restricted.authorising-user', { 8: '4.3.5.2', 12: '5.3.5.2' }],
      ['member.invite.third-party.signature', { 1: '5.3.1.7', 6: '4.3.1.7', 10: '4.4.1.7' }],
      ['member.leave.self', { 1: '5.4.1', 6: '4.4.1', 8: '4.5.1', 12: '5.5.1' }],
      ['member.knock.join-rule', { 7: '4.6.1', 10: '4.7.1', 12: '5.7.1' }],
      ['member.unknown', { 1: '5.6', 6: '4.6', 7: '4.7', 8: '4.8', 12: '5.8' }],
      ['sender-joined', { 1: '6', 3: '6', 6: '5', 12: '6' }],
      ['third-party-invite', { 1: '7', 6: '6', 12: '7' }],
      ['required-power', { 1: '8', 6: '7', 12: '8' }],
      ['state-key', { 1: '9', 6: '8', 12: '9' }],
      ['power-levels.users', { 1: '10.1', 6: '9.1', 10: '9.3', 12: '10.3' }],
      ['power-levels.creators', { 12: '10.4' }],
      ['power-levels.users-added', { 1: '10.7', 6: '9.7', 10: '9.9', 12: '10.10' }],
      ['redaction.same-domain', { 1: '11.2', 2: '11.2' }],
      ['allow', { 1: '12', 3: '11', 6: '10', 12: '11' }],
    ];
    for (const [path, byVersion] of table) {
      for (const [version, expected] of Object.entries(byVersion)) expect(number(path, version), `${path} in v${version}`).to.equal(expected);
    }
  });

  it('throws for a rule the version does not have', () => {
    expect(() => number('redaction', '3')).to.throw(/No authorization rule redaction in room version 3/);
    expect(() => number('aliases', '6')).to.throw();
    expect(() => number('member.knock', '6')).to.throw();
    expect(() => number('create.additional-creators', '11')).to.throw();
    expect(() => number('no.such.rule', '1')).to.throw();
  });

  it('every rule exists in some version', () => {
    for (const path of allRulePaths()) {
      const somewhere = supportedRoomVersions.some((version) => {
        try {
          return number(path, version).length > 0;
        } catch {
          return false;
        }
      });
      expect(somewhere, path).to.equal(true);
    }
  });
});

describe('room version flags of the authorization rules', () => {
  const versionsWhere = (rule: (rules: RoomVersionRules) => boolean): string[] => supportedRoomVersions.filter((id) => rule(getRoomVersion(id)));
  const from = (first: number): string[] => supportedRoomVersions.slice(first - 1);
  const before = (first: number): string[] => supportedRoomVersions.slice(0, first - 1);

  it('follow the version pages that change them', () => {
    expect(versionsWhere((r) => r.specialCaseAliasesAuth)).to.deep.equal(before(6));
    expect(versionsWhere((r) => r.redactionAuthRule)).to.deep.equal(before(3));
    expect(versionsWhere((r) => r.limitNotificationsPowerLevels)).to.deep.equal(from(6));
    expect(versionsWhere((r) => r.createInAuthEvents)).to.deep.equal(before(12));
  });
});
