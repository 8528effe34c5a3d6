/** Root hooks for every test run: say plainly when the PostgreSQL half of the suite did not run. */
import { postgresAdminUrl } from './test-databases.ts';

export const mochaHooks = {
  afterAll(): void {
    if (!postgresAdminUrl) {
      console.log('\n  PostgreSQL: SKIPPED. Storage suites ran on SQLite only; set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them on PostgreSQL too.\n');
    } else {
      console.log(`\n  PostgreSQL: storage suites also ran on ${new URL(postgresAdminUrl).host}.\n`);
    }
  },
};
