import { expect } from 'chai';
import type { JsonObject } from '../canonical-json.ts';
import { defaultOverrideRules, defaultUnderrideRules } from './default-rules.ts';
import { conditionMatches, evaluatePushRules, highlights, notifies, type PushContext } from './evaluate-push-rules.ts';
import type { PushCondition, PushRule, PushRuleset } from './push-rule.ts';
import { parseDottedPath } from '../dotted-property-paths.ts';

const me = '@me:example.org';
const context: PushContext = { displayName: 'Mary Jane', memberCount: 5, senderPowerLevel: 0, notificationPowerLevel: (key) => (key === 'room' ? 50 : 0) };

function message(content: JsonObject, extra: JsonObject = {}): JsonObject {
  return { type: 'm.room.message', sender: '@you:example.org', room_id: '!room:example.org', content, ...extra };
}

/** The server-default ruleset, with `own` user rules placed the way the PushRules service places them. */
function ruleset(own: Partial<PushRuleset> = {}): PushRuleset {
  const [master, ...overrides] = defaultOverrideRules(me);
  return {
    override: [master!, ...(own.override ?? []), ...overrides],
    content: own.content ?? [],
    room: own.room ?? [],
    sender: own.sender ?? [],
    underride: [...(own.underride ?? []), ...defaultUnderrideRules()],
  };
}

const evaluate = (event: JsonObject, ctx: Partial<PushContext> = {}, rules = ruleset()) => evaluatePushRules(rules, event, { ...context, ...ctx });
const ruleOf = (event: JsonObject, ctx: Partial<PushContext> = {}, rules = ruleset()) => evaluate(event, ctx, rules)?.ruleId;
const matches = (condition: PushCondition, event: JsonObject, ctx: Partial<PushContext> = {}) => conditionMatches(condition, event, { ...context, ...ctx });

describe('evaluatePushRules (client-server-api "Push Rules")', function () {
  describe('"Conditions"', function () {
    it('event_match globs the whole value case-insensitively: * any run, ? exactly one character', function () {
      const topic = (value: unknown) => ({ type: 'm.room.topic', state_key: '', content: { topic: value } });
      const condition = { kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' };
      expect(matches(condition, topic('Lunch plans'))).to.equal(true);
      expect(matches(condition, topic('LUNCH'))).to.equal(true);
      expect(matches(condition, topic(' lunch'))).to.equal(false);
      expect(matches(condition, topic('lunc'))).to.equal(false);
      expect(matches(condition, topic(null))).to.equal(false);
      expect(matches({ kind: 'event_match', key: 'type', pattern: 'm.room.*' }, topic('x'))).to.equal(true);
      // Regular expression characters in a pattern are literal.
      expect(matches({ kind: 'event_match', key: 'content.topic', pattern: 'a.c' }, topic('abc'))).to.equal(false);
      expect(matches({ kind: 'event_match', key: 'content.topic', pattern: '(a|b)+' }, topic('(a|b)+'))).to.equal(true);
    });

    it('event_match does not match an absent or non-string property, even with *', function () {
      expect(matches({ kind: 'event_match', key: 'content.missing', pattern: '*' }, message({ body: 'x' }))).to.equal(false);
      expect(matches({ kind: 'event_match', key: 'content.count', pattern: '*' }, message({ count: 3 }))).to.equal(false);
      expect(matches({ kind: 'event_match', key: 'content', pattern: '*' }, message({ body: 'x' }))).to.equal(false);
      expect(matches({ kind: 'event_match', key: 'content.body' }, message({ body: 'x' }))).to.equal(false);
    });

    it('event_match on content.body matches any substring starting and ending at word boundaries', function () {
      const condition = { kind: 'event_match', key: 'content.body', pattern: 'ex*ple' };
      expect(matches(condition, message({ body: 'An example event.' }))).to.equal(true);
      expect(matches(condition, message({ body: 'exple' }))).to.equal(true);
      expect(matches(condition, message({ body: 'An exciting triple-whammy' }))).to.equal(true);
      expect(matches(condition, message({ body: 'examples' }))).to.equal(false);
      expect(matches(condition, message({ body: 'my_example' }))).to.equal(false);
      expect(matches({ kind: 'event_match', key: 'content.body', pattern: 'cake' }, message({ body: 'CAKE!' }))).to.equal(true);
    });

    it('event_property_is matches exact non-compound values without casting', function () {
      const create = { type: 'm.room.create', state_key: '', content: { 'm.federate': true, room_version: '1', depth: 3 } };
      expect(matches({ kind: 'event_property_is', key: 'content.m\\.federate', value: true }, create)).to.equal(true);
      expect(matches({ kind: 'event_property_is', key: 'content.m\\.federate', value: 'true' }, create)).to.equal(false);
      expect(matches({ kind: 'event_property_is', key: 'content.m\\.federate', value: 1 }, create)).to.equal(false);
      expect(matches({ kind: 'event_property_is', key: 'content.depth', value: 3 }, create)).to.equal(true);
      expect(matches({ kind: 'event_property_is', key: 'content.absent', value: null }, create)).to.equal(false);
      expect(matches({ kind: 'event_property_is', key: 'content.nothing', value: null }, { content: { nothing: null } })).to.equal(true);
      expect(matches({ kind: 'event_property_is', key: 'content', value: {} }, { content: {} })).to.equal(false);
    });

    it('event_property_contains matches an exact element of an array property', function () {
      const aliases = { type: 'm.room.canonical_alias', state_key: '', content: { alt_aliases: ['#somewhere:example.org', '#myroom:example.com', { x: 1 }] } };
      expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' }, aliases)).to.equal(true);
      expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value: ':example.com' }, aliases)).to.equal(false);
      expect(matches({ kind: 'event_property_contains', key: 'content.alias', value: '#a:b' }, { content: { alias: '#a:b' } })).to.equal(false);
      expect(matches({ kind: 'event_property_contains', key: 'content.missing', value: 'x' }, aliases)).to.equal(false);
    });

    it('contains_display_name matches the owner\'s display name as whole words of content.body', function () {
      const condition = { kind: 'contains_display_name' };
      expect(matches(condition, message({ body: 'hello mary jane!' }))).to.equal(true);
      expect(matches(condition, message({ body: 'hello maryjane' }))).to.equal(false);
      expect(matches(condition, message({ body: 'Mary Janes' }))).to.equal(false);
      expect(matches(condition, message({ body: 'Mary Jane' }), { displayName: undefined })).to.equal(false);
      expect(matches(condition, message({ body: 'a.b' }), { displayName: 'a.b' })).to.equal(true);
      expect(matches(condition, message({ body: 'axb' }), { displayName: 'a.b' })).to.equal(false);
      expect(matches(condition, { type: 'm.room.topic', content: { topic: 'Mary Jane' } })).to.equal(false);
    });

    it('room_member_count compares with ==, <, >, <= and >= (== without a prefix)', function () {
      const count = (is: string, memberCount: number) => matches({ kind: 'room_member_count', is }, message({}), { memberCount });
      expect(count('2', 2)).to.equal(true);
      expect(count('2', 3)).to.equal(false);
      expect(count('==3', 3)).to.equal(true);
      expect(count('<3', 2)).to.equal(true);
      expect(count('<3', 3)).to.equal(false);
      expect(count('>3', 4)).to.equal(true);
      expect(count('>3', 3)).to.equal(false);
      expect(count('<=3', 3)).to.equal(true);
      expect(count('<=3', 4)).to.equal(false);
      expect(count('>=3', 3)).to.equal(true);
      expect(count('>=3', 2)).to.equal(false);
      expect(count('three', 3)).to.equal(false);
      expect(matches({ kind: 'room_member_count' }, message({}))).to.equal(false);
    });

    it('sender_notification_permission compares the sender\'s level with notifications[key]', function () {
      const condition = { kind: 'sender_notification_permission', key: 'room' };
      expect(matches(condition, message({}), { senderPowerLevel: 50 })).to.equal(true);
      expect(matches(condition, message({}), { senderPowerLevel: 49 })).to.equal(false);
      expect(matches(condition, message({}), { senderPowerLevel: 0, notificationPowerLevel: () => 0 })).to.equal(true);
      expect(matches({ kind: 'sender_notification_permission' }, message({}), { senderPowerLevel: 100 })).to.equal(false);
    });

    it('unrecognised conditions never match', function () {
      expect(matches({ kind: 'org.example.always' }, message({}))).to.equal(false);
    });
  });

  describe('"Dot-separated property paths"', function () {
    it('splits on dots, with \\. and \\\\ escaping a literal dot and backslash, other escapes literal', function () {
      expect(parseDottedPath('content.body')).to.deep.equal(['content', 'body']);
      expect(parseDottedPath('content.m\\.relates_to.rel_type')).to.deep.equal(['content', 'm.relates_to', 'rel_type']);
      expect(parseDottedPath('content.m\\\\foo')).to.deep.equal(['content', 'm\\foo']);
      expect(parseDottedPath('content.m\\x')).to.deep.equal(['content', 'm\\x']);
      expect(matches({ kind: 'event_property_is', key: 'content.m\\\\foo', value: 1 }, { content: { 'm\\foo': 1 } })).to.equal(true);
      expect(matches({ kind: 'event_property_is', key: 'content.a.b', value: 1 }, { content: { 'a.b': 1 } })).to.equal(false);
    });
  });

  describe('"Default Override Rules" and "Default Underride Rules"', function () {
    it('.m.rule.master is off by default; enabled, it silences everything', function () {
      const master = { ...defaultOverrideRules(me)[0]!, enabled: true };
      const rules = ruleset();
      rules.override[0] = master;
      expect(evaluate(message({ msgtype: 'm.text', body: 'hi' }), {}, rules)).to.deep.equal({ kind: 'override', ruleId: '.m.rule.master', actions: [] });
      expect(ruleOf(message({ msgtype: 'm.text', body: 'hi' }))).to.equal('.m.rule.message');
    });

    it('.m.rule.suppress_notices: notices do not notify', function () {
      const match = evaluate(message({ msgtype: 'm.notice', body: 'bot says' }));
      expect(match).to.deep.include({ ruleId: '.m.rule.suppress_notices', actions: [] });
      expect(notifies(match!.actions)).to.equal(false);
    });

    it('.m.rule.invite_for_me notifies the invitee with a sound; .m.rule.member_event silences other membership', function () {
      const invite = (target: string) => ({ type: 'm.room.member', state_key: target, sender: '@you:example.org', content: { membership: 'invite' } });
      expect(evaluate(invite(me))).to.deep.include({ ruleId: '.m.rule.invite_for_me', actions: ['notify', { set_tweak: 'sound', value: 'default' }] });
      expect(evaluate(invite('@other:example.org'))).to.deep.include({ ruleId: '.m.rule.member_event', actions: [] });
      expect(ruleOf({ type: 'm.room.member', state_key: '@you:example.org', content: { membership: 'join' } })).to.equal('.m.rule.member_event');
    });

    it('.m.rule.is_user_mention highlights events whose m.mentions list the user', function () {
      const match = evaluate(message({ msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: ['@x:y', me] } }));
      expect(match?.ruleId).to.equal('.m.rule.is_user_mention');
      expect(notifies(match!.actions) && highlights(match!.actions)).to.equal(true);
      expect(ruleOf(message({ msgtype: 'm.text', body: me, 'm.mentions': { user_ids: ['@x:y'] } }))).to.equal('.m.rule.message');
    });

    it('.m.rule.is_room_mention highlights @room from a sender with the notifications.room level', function () {
      const atRoom = message({ msgtype: 'm.text', body: '@room', 'm.mentions': { room: true } });
      expect(evaluate(atRoom, { senderPowerLevel: 50 })).to.deep.include({ ruleId: '.m.rule.is_room_mention', actions: ['notify', { set_tweak: 'highlight' }] });
      expect(ruleOf(atRoom, { senderPowerLevel: 0 })).to.equal('.m.rule.message');
    });

    it('.m.rule.tombstone highlights a room upgrade, only as a state event', function () {
      const tombstone = { type: 'm.room.tombstone', state_key: '', content: { replacement_room: '!new:x' } };
      expect(evaluate(tombstone)).to.deep.include({ ruleId: '.m.rule.tombstone', actions: ['notify', { set_tweak: 'highlight' }] });
      expect(evaluate({ type: 'm.room.tombstone', content: {} })).to.equal(undefined);
    });

    it('.m.rule.reaction, .m.rule.room.server_acl and .m.rule.suppress_edits do not notify', function () {
      expect(evaluate({ type: 'm.reaction', content: {} })).to.deep.include({ ruleId: '.m.rule.reaction', actions: [] });
      expect(evaluate({ type: 'm.room.server_acl', state_key: '', content: {} })).to.deep.include({ ruleId: '.m.rule.room.server_acl', actions: [] });
      const edit = message({ msgtype: 'm.text', body: '* fixed', 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } });
      expect(evaluate(edit)).to.deep.include({ ruleId: '.m.rule.suppress_edits', actions: [] });
    });

    it('.m.rule.call rings for call invites', function () {
      expect(evaluate({ type: 'm.call.invite', content: {} })).to.deep.include({ ruleId: '.m.rule.call', actions: ['notify', { set_tweak: 'sound', value: 'ring' }] });
    });

    it('one-to-one rooms notify with a sound: .m.rule.encrypted_room_one_to_one and .m.rule.room_one_to_one', function () {
      const sound = ['notify', { set_tweak: 'sound', value: 'default' }];
      expect(evaluate({ type: 'm.room.encrypted', content: {} }, { memberCount: 2 })).to.deep.include({ ruleId: '.m.rule.encrypted_room_one_to_one', actions: sound });
      expect(evaluate(message({ msgtype: 'm.text', body: 'hi' }), { memberCount: 2 })).to.deep.include({ ruleId: '.m.rule.room_one_to_one', actions: sound });
    });

    it('larger rooms notify without a sound: .m.rule.message and .m.rule.encrypted', function () {
      expect(evaluate(message({ msgtype: 'm.text', body: 'hi' }), { memberCount: 3 })).to.deep.include({ ruleId: '.m.rule.message', actions: ['notify'] });
      expect(evaluate({ type: 'm.room.encrypted', content: {} }, { memberCount: 3 })).to.deep.include({ ruleId: '.m.rule.encrypted', actions: ['notify'] });
    });

    it('no rule matches other events (no notification)', function () {
      expect(evaluate({ type: 'm.room.topic', state_key: '', content: { topic: 'x' } })).to.equal(undefined);
    });
  });

  describe('user rules', function () {
    const rule = (fields: Partial<PushRule> & { rule_id: string }): PushRule => ({ default: false, enabled: true, actions: [], ...fields });

    it('a user override with dont_notify (a historical action, ignored) silences messages', function () {
      const rules = ruleset({ override: [rule({ rule_id: 'quiet', actions: ['dont_notify'], conditions: [{ kind: 'event_match', key: 'room_id', pattern: '!room:example.org' }] })] });
      expect(evaluate(message({ msgtype: 'm.text', body: 'hi' }), {}, rules)).to.deep.equal({ kind: 'override', ruleId: 'quiet', actions: [] });
      expect(ruleOf(message({ msgtype: 'm.text', body: 'hi' }, { room_id: '!other:example.org' }), {}, rules)).to.equal('.m.rule.message');
    });

    it('disabled rules never match', function () {
      const rules = ruleset({ override: [rule({ rule_id: 'quiet', enabled: false })] });
      expect(ruleOf(message({ msgtype: 'm.text', body: 'hi' }), {}, rules)).to.equal('.m.rule.message');
    });

    it('content rules match words of content.body; room and sender rules match by rule ID; kinds are tried in order', function () {
      const loud = ['notify', { set_tweak: 'highlight' }];
      const rules = ruleset({
        content: [rule({ rule_id: 'cake', pattern: 'cake*', actions: loud })],
        room: [rule({ rule_id: '!room:example.org', actions: ['notify', { set_tweak: 'sound', value: 'room' }] })],
        sender: [rule({ rule_id: '@you:example.org', actions: [] })],
      });
      expect(evaluate(message({ body: 'Cakes for all' }), {}, rules)).to.deep.include({ kind: 'content', ruleId: 'cake' });
      expect(evaluate(message({ body: 'no' }), {}, rules)).to.deep.include({ kind: 'room', ruleId: '!room:example.org' });
      expect(evaluate(message({ body: 'no' }, { room_id: '!b:x' }), {}, rules)).to.deep.include({ kind: 'sender', ruleId: '@you:example.org' });
      expect(evaluate(message({ body: 'no' }, { room_id: '!b:x', sender: '@c:x' }), {}, rules)).to.deep.include({ kind: 'underride', ruleId: '.m.rule.message' });
      // Overrides outrank content rules.
      expect(ruleOf(message({ msgtype: 'm.notice', body: 'cake' }), {}, rules)).to.equal('.m.rule.suppress_notices');
    });
  });

  describe('"Actions"', function () {
    it('highlight is true for a highlight tweak without a value or with true, false otherwise', function () {
      expect(highlights([{ set_tweak: 'highlight' }])).to.equal(true);
      expect(highlights([{ set_tweak: 'highlight', value: true }])).to.equal(true);
      expect(highlights([{ set_tweak: 'highlight', value: false }])).to.equal(false);
      expect(highlights(['notify', { set_tweak: 'sound', value: 'default' }])).to.equal(false);
      expect(notifies(['notify'])).to.equal(true);
      expect(notifies([])).to.equal(false);
    });
  });
});
