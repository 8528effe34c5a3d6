/**
 * What server-side search looks at (client-server-api "Server Side Search", `room_events`): "The
 * supported keys to search over are: content.body in m.room.message, content.name in m.room.name, in
 * m.room.topic, content.topic as well as the body of the text/plain representation in
 * content['m.topic']". Each searchable event has exactly one key, so the index holds one text per event.
 */
import { isJsonObject } from '../canonical-json.ts';

export type SearchKey = 'content.body' | 'content.name' | 'content.topic';

/** The event type each key is searched in. */
export const searchKeyTypes: Readonly<Record<SearchKey, string>> = {
  'content.body': 'm.room.message',
  'content.name': 'm.room.name',
  'content.topic': 'm.room.topic',
};

export const searchKeys = Object.keys(searchKeyTypes) as readonly SearchKey[];

export interface SearchableText {
  key: SearchKey;
  text: string;
}

/** The searchable text of an event, or undefined when it has none (another type, no text, not state where it must be). */
export function searchableText(event: { type: string; stateKey?: string | undefined; content: Record<string, unknown> }): SearchableText | undefined {
  const { type, stateKey, content } = event;
  if (type === 'm.room.message') return withText('content.body', [content.body]);
  // Room names and topics are state events with an empty state key; anything else of the type is not one.
  if (stateKey !== '') return undefined;
  if (type === 'm.room.name') return withText('content.name', [content.name]);
  if (type === 'm.room.topic') return withText('content.topic', [content.topic, ...plainTextTopics(content['m.topic'])]);
  return undefined;
}

/** The text/plain bodies of an m.topic TopicContentBlock (a representation without mimetype is text/plain). */
function plainTextTopics(block: unknown): unknown[] {
  const representations = isJsonObject(block) ? block['m.text'] : undefined;
  if (!Array.isArray(representations)) return [];
  return representations.filter((text) => isJsonObject(text) && (text.mimetype ?? 'text/plain') === 'text/plain').map((text) => (text as { body?: unknown }).body);
}

/** The distinct non-blank strings among `values` (`topic` usually repeats the text/plain body), one per line. */
function withText(key: SearchKey, values: readonly unknown[]): SearchableText | undefined {
  const texts = [...new Set(values.filter((value): value is string => typeof value === 'string' && value.trim() !== ''))];
  return texts.length === 0 ? undefined : { key, text: texts.join('\n') };
}
