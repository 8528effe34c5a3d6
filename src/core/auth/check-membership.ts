/**
 * The `m.room.member` authorization rules (rooms/v1 "Authorization rules" rule 5, v6 rule 4, v12
 * rule 5), with knocking (v7), restricted joins (v8), knock_restricted (v10) and the creator from
 * the create event's sender (v11). Paths name the rules as rule-numbers.ts does.
 */
import type { RoomEvent } from '../events/pdu.ts';
import { stateKeyOf } from '../events/pdu.ts';
import { isUserId, serverNameOf, type UserId } from '../ids/identifiers.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import type { AuthState, AuthVerdict } from './check-event-auth.ts';
import { createKey, joinRulesKey, namedPowerLevel, roomCreator, userPowerLevel } from './power-levels.ts';
import { hasValidThirdPartySignature, thirdPartySigned } from './third-party-invite.ts';
import { allowed, rejected } from './verdict.ts';

/** The `membership` of `userId`'s member event in `authState`, if any. */
export function membershipOf(userId: string, authState: AuthState): string | undefined {
  const membership = authState.get(stateKeyOf('m.room.member', userId))?.content.membership;
  return typeof membership === 'string' ? membership : undefined;
}

/**
 * The join rule in `authState`. Without an `m.room.join_rules` event (or without `join_rule` in it)
 * this reads as `invite`, as Synapse and ruma do: the spec leaves it unsaid, and `invite` is the
 * most restrictive rule that still lets invited users in.
 */
export function joinRuleOf(authState: AuthState): string {
  const joinRule = authState.get(joinRulesKey)?.content.join_rule;
  return typeof joinRule === 'string' ? joinRule : 'invite';
}

/**
 * rooms/v8 "Authorisation rules" 4.2: the server whose signature a join with
 * `join_authorised_via_users_server` needs besides the sender's. The signature check holds the
 * keys, so it enforces this rule (server-server-api "Validating hashes and signatures on received
 * events"); checkEventAuth does not.
 */
export function authorisingServerOf(event: RoomEvent, rules: RoomVersionRules): string | undefined {
  const via = event.content.join_authorised_via_users_server;
  if (!rules.restrictedJoins || event.type !== 'm.room.member' || typeof via !== 'string' || !isUserId(via, { historical: true })) return undefined;
  return serverNameOf(via);
}

export function checkMembership(event: RoomEvent, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  const { stateKey } = event;
  const membership = event.content.membership;
  if (stateKey === undefined || membership === undefined) return rejected('member.fields', rules, 'no state_key or no membership');
  switch (membership) {
    case 'join':
      return checkJoin(event, stateKey, authState, rules);
    case 'invite':
      return checkInvite(event, stateKey, authState, rules);
    case 'leave':
      return checkLeave(event, stateKey, authState, rules);
    case 'ban':
      return checkBan(event, stateKey, authState, rules);
    case 'knock':
      if (rules.knocking) return checkKnock(event, stateKey, authState, rules);
  }
  return rejected('member.unknown', rules, `unknown membership ${JSON.stringify(membership)}`);
}

function checkJoin(event: RoomEvent, stateKey: string, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  // "If the only previous event is an m.room.create and the state_key is the creator, allow."
  const create = authState.get(createKey);
  if (create && event.prevEventIds.length === 1 && event.prevEventIds[0] === create.eventId && stateKey === roomCreator(create, rules)) return allowed;
  if (event.sender !== stateKey) return rejected('member.join.not-self', rules, 'the sender does not match state_key');
  const current = membershipOf(stateKey, authState);
  if (current === 'ban') return rejected('member.join.banned', rules, 'the sender is banned');

  const joinRule = joinRuleOf(authState);
  const invitedOrJoined = current === 'invite' || current === 'join';
  if (joinRule === 'invite' || (rules.knocking && joinRule === 'knock')) {
    if (invitedOrJoined) return allowed;
  } else if ((rules.restrictedJoins && joinRule === 'restricted') || (rules.knockRestricted && joinRule === 'knock_restricted')) {
    if (invitedOrJoined) return allowed;
    const via = event.content.join_authorised_via_users_server;
    if (typeof via !== 'string') return rejected('member.join.restricted.authorising-user', rules, 'no join_authorised_via_users_server');
    if (membershipOf(via, authState) !== 'join') return rejected('member.join.restricted.authorising-user', rules, `the authorising user ${via} is not joined`);
    if (userPowerLevel(via as UserId, authState, rules) < namedPowerLevel('invite', authState, rules)) {
      return rejected('member.join.restricted.authorising-user', rules, `the authorising user ${via} cannot invite`);
    }
    return allowed;
  } else if (joinRule === 'public') {
    return allowed;
  }
  return rejected('member.join.otherwise', rules, `join rule ${JSON.stringify(joinRule)} does not admit membership ${current ?? 'none'}`);
}

function checkInvite(event: RoomEvent, stateKey: string, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  const target = membershipOf(stateKey, authState);
  if (event.content.third_party_invite !== undefined) {
    if (target === 'ban') return rejected('member.invite.third-party.banned', rules, 'the target user is banned');
    const signed = thirdPartySigned(event.content);
    if (!signed) return rejected('member.invite.third-party.no-signed', rules, 'third_party_invite has no signed object');
    const { mxid, token } = signed;
    if (typeof mxid !== 'string' || typeof token !== 'string') return rejected('member.invite.third-party.signed-fields', rules, 'signed lacks mxid or token');
    if (mxid !== stateKey) return rejected('member.invite.third-party.mxid', rules, 'signed.mxid does not match state_key');
    const invite = authState.get(stateKeyOf('m.room.third_party_invite', token));
    if (!invite) return rejected('member.invite.third-party.no-invite-event', rules, 'no m.room.third_party_invite for the token');
    if (invite.sender !== event.sender) return rejected('member.invite.third-party.sender', rules, 'the sender did not send the m.room.third_party_invite');
    if (hasValidThirdPartySignature(signed, invite)) return allowed;
    return rejected('member.invite.third-party.otherwise', rules, 'no signature in signed matches a public key of the m.room.third_party_invite');
  }
  if (membershipOf(event.sender, authState) !== 'join') return rejected('member.invite.sender-not-joined', rules, 'the sender is not joined');
  if (target === 'join' || target === 'ban') return rejected('member.invite.target-joined-or-banned', rules, `the target user's membership is ${target}`);
  if (userPowerLevel(event.sender, authState, rules) >= namedPowerLevel('invite', authState, rules)) return allowed;
  return rejected('member.invite.otherwise', rules, "the sender's power level is below the invite level");
}

function checkLeave(event: RoomEvent, stateKey: string, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  if (event.sender === stateKey) {
    const current = membershipOf(stateKey, authState);
    if (current === 'invite' || current === 'join' || (rules.knocking && current === 'knock')) return allowed;
    return rejected('member.leave.self', rules, `cannot leave from membership ${current ?? 'none'}`);
  }
  if (membershipOf(event.sender, authState) !== 'join') return rejected('member.leave.sender-not-joined', rules, 'the sender is not joined');
  const senderLevel = userPowerLevel(event.sender, authState, rules);
  if (membershipOf(stateKey, authState) === 'ban' && senderLevel < namedPowerLevel('ban', authState, rules)) {
    return rejected('member.leave.target-banned', rules, "the target is banned and the sender's power level is below the ban level");
  }
  if (senderLevel >= namedPowerLevel('kick', authState, rules) && userPowerLevel(stateKey as UserId, authState, rules) < senderLevel) return allowed;
  return rejected('member.leave.otherwise', rules, "the sender's power level is below the kick level or not above the target's");
}

function checkBan(event: RoomEvent, stateKey: string, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  if (membershipOf(event.sender, authState) !== 'join') return rejected('member.ban.sender-not-joined', rules, 'the sender is not joined');
  const senderLevel = userPowerLevel(event.sender, authState, rules);
  if (senderLevel >= namedPowerLevel('ban', authState, rules) && userPowerLevel(stateKey as UserId, authState, rules) < senderLevel) return allowed;
  return rejected('member.ban.otherwise', rules, "the sender's power level is below the ban level or not above the target's");
}

function checkKnock(event: RoomEvent, stateKey: string, authState: AuthState, rules: RoomVersionRules): AuthVerdict {
  const joinRule = joinRuleOf(authState);
  if (joinRule !== 'knock' && !(rules.knockRestricted && joinRule === 'knock_restricted')) {
    return rejected('member.knock.join-rule', rules, `join rule ${JSON.stringify(joinRule)} does not allow knocking`);
  }
  if (event.sender !== stateKey) return rejected('member.knock.not-self', rules, 'the sender does not match state_key');
  const current = membershipOf(event.sender, authState);
  if (current !== 'ban' && current !== 'invite' && current !== 'join') return allowed;
  return rejected('member.knock.otherwise', rules, `cannot knock from membership ${current}`);
}
