/** Profile fields of local users (table profile_fields), values stored as JSON. */
import type { Database } from '../database.ts';

interface Row {
  user_id: string;
  field: string;
  value_json: string;
}

export class ProfileRepository {
  constructor(private readonly db: Database) {}

  async get(userId: string): Promise<Record<string, unknown>> {
    const rows = await this.db<Row>('profile_fields').where('user_id', userId);
    return Object.fromEntries(rows.map((row) => [row.field, JSON.parse(row.value_json) as unknown]));
  }

  async set(userId: string, field: string, value: unknown): Promise<void> {
    await this.db<Row>('profile_fields').insert({ user_id: userId, field, value_json: JSON.stringify(value) }).onConflict(['user_id', 'field']).merge();
  }

  async delete(userId: string, field: string): Promise<void> {
    await this.db<Row>('profile_fields').where({ user_id: userId, field }).delete();
  }
}
