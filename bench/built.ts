import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The built modules (dist/), typed by their sources. The benchmark writes its database with the
 * same compiled code the measured server runs, so both agree on the schema version and the stored
 * form even when src/ has moved on since the last build.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function load<T>(path: string): Promise<T> {
  const file = join(ROOT, 'dist', path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm run bench does)`);
  return (await import(pathToFileURL(file).href)) as T;
}

export const ids = await load<typeof import('../src/ids.js')>('ids.js');
export const container = await load<typeof import('../src/services/container.js')>('services/container.js');
export const fixtures = await load<typeof import('../src/services/fixtures.js')>('services/fixtures.js');
export const sqliteStore = await load<typeof import('../src/store/sqlite/sqlite-store.js')>('store/sqlite/sqlite-store.js');
