// Lints the layering of DESIGN.md (api → services → storage, all over a pure core), so it is checked, not hoped for.
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Which parts of src/ each folder must not import (paths relative to the repository). */
const forbiddenFolders = [
  { target: './src/core', from: './src', except: ['./core'], message: 'core/ is pure protocol: it imports only core/.' },
  { target: './src/config', from: './src', except: ['./config'], message: 'config/ must not import the rest of src/.' },
  { target: './src/util', from: './src', except: ['./util'], message: 'util/ holds Matrix-free helpers only.' },
  { target: './src/storage', from: './src/services', message: 'storage/ must not import services/.' },
  { target: './src/storage', from: './src/api', message: 'storage/ must not import api/.' },
  { target: './src/federation-client', from: './src/storage', message: 'federation-client/ must not import storage/.' },
  { target: './src/federation-client', from: './src/services', message: 'federation-client/ must not import services/.' },
  { target: './src/federation-client', from: './src/api', message: 'federation-client/ must not import api/.' },
  { target: './src/services', from: './src/api', message: 'services/ must not import api/.' },
  { target: './src/api', from: './src/storage', message: 'api/ must not import storage/: go through a service.' },
];

const sql = ['knex', 'pg', 'better-sqlite3'].map((name) => ({ name, message: 'Only storage/ talks to the database.' }));
const http = ['koa', '@koa/router'].map((name) => ({ name, message: 'Only api/ knows HTTP.' }));
const testing = { group: ['**/testing/*'], message: 'testing/ is for tests only.' };

const restrictImports = (paths, patterns = [testing]) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'scratch/**', 'bench/results/**', 'dist/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { 'import-x': importX },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: forbiddenFolders }] },
  },
  { files: ['src/services/**/*.ts', 'src/federation-client/**/*.ts'], rules: restrictImports([...sql, ...http]) },
  { files: ['src/api/**/*.ts'], rules: restrictImports(sql) },
  { files: ['src/storage/**/*.ts'], rules: restrictImports(http) },
  {
    files: ['src/core/**/*.ts'],
    rules: restrictImports([], [{ regex: '^(?!\\.|libsodium-wrappers-sumo$)', message: 'core/ is pure: no Koa, knex, filesystem, network or clock; only core/ files and libsodium-wrappers-sumo.' }]),
  },
  // Tests may use anything: fixtures from disk, test databases, the harness.
  { files: ['**/*.test.ts', 'src/testing/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
);
