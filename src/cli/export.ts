import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { DEFAULT_DATABASE } from '../config.js';
import type { Dataset } from '../store/store.js';
import { openStoreOrExplain } from './serve.js';
import { parseFlags, UsageError } from './usage.js';

/**
 * The export file: everything a database holds, plus the meta values a copy needs to behave as
 * the original. `import` reads exactly this.
 *
 *   {"format": "ghl-objects-export", "version": 1, "exportedAt": "<ISO>",
 *    "meta": {"oauth_signing_key": "<PKCS#8 PEM>"},
 *    "data": {"locations": [...], "users": [...], "tokens": [...], "objects": [...],
 *             "folders": [...], "fields": [...], "records": [...]}}
 *
 * `data` is a Dataset (src/store/store.ts) as Store.dumpDataset returns it and Store.loadDataset
 * takes it. The revision counter is not carried: it only has to grow within one database.
 */
export const EXPORT_FORMAT = 'ghl-objects-export';
export const EXPORT_VERSION = 1;
/** The meta entries an export carries: the OAuth signing key (see services/signing-key.ts), so OAuth tokens verify after a move. */
export const EXPORTED_META_KEYS = ['oauth_signing_key'] as const;
export const DATASET_TABLES = ['locations', 'users', 'tokens', 'objects', 'folders', 'fields', 'records'] as const satisfies ReadonlyArray<keyof Dataset>;

export interface ExportFile {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  meta: Partial<Record<(typeof EXPORTED_META_KEYS)[number], string>>;
  data: Dataset;
}

export const EXPORT_HELP = `Usage: ghl-objects export [--db PATH|URL] [--db-schema NAME] [--out FILE]

Writes everything the database holds (locations, users, tokens, object schemas, folders, fields,
records) and its OAuth signing key as one JSON file, read from one snapshot: it works while
servers run on the database. 'ghl-objects import' loads it into another database, SQLite or
PostgreSQL, where the same tokens keep working.

The file holds the signing key and the tokens' hashes: keep it as secret as the database.

Options:
  --db PATH|URL      SQLite database file or postgres:// URL (env DATABASE; default ${DEFAULT_DATABASE})
  --db-schema NAME   PostgreSQL schema (env DATABASE_SCHEMA; default public)
  --out FILE         write to FILE (created readable by its owner only) instead of stdout
  -h, --help         show this help
`;

/** Writes `chunk`, waiting when the stream asks for it; fails when the stream failed. */
async function put(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Writes the export as JSON, one row per line, piece by piece: a large database never becomes
 * one string in memory on the way out.
 */
export async function writeExport(out: Writable, file: ExportFile): Promise<void> {
  const { data, ...head } = file;
  await put(out, `${JSON.stringify(head).slice(0, -1)},"data":{`);
  for (const [t, table] of DATASET_TABLES.entries()) {
    const rows = data[table] as readonly unknown[];
    await put(out, `${t ? ',' : ''}\n${JSON.stringify(table)}:[`);
    for (const [i, row] of rows.entries()) await put(out, `${i ? ',' : ''}\n${JSON.stringify(row)}`);
    await put(out, rows.length ? '\n]' : ']');
  }
  await put(out, '}}\n');
}

/** `1 locations, 2 users, ...`: what a command says it wrote. */
export function datasetSummary(data: Dataset): string {
  return DATASET_TABLES.map((t) => `${data[t].length} ${t}`).join(', ');
}

export async function exportCommand(args: string[]): Promise<void> {
  const { values } = parseFlags(args, { db: { type: 'string' }, 'db-schema': { type: 'string' }, out: { type: 'string' } });
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return;
  }
  if (values.out === '') throw new UsageError('--out must name a file');
  const store = await openStoreOrExplain(values.db ?? process.env.DATABASE ?? DEFAULT_DATABASE, values['db-schema'] ?? process.env.DATABASE_SCHEMA);
  let file: ExportFile;
  try {
    let data: Dataset;
    const meta: ExportFile['meta'] = {};
    try {
      data = await store.dumpDataset();
      for (const key of EXPORTED_META_KEYS) {
        const value = await store.getMeta(key);
        if (value !== undefined) meta[key] = value;
      }
    } catch (err) {
      throw new UsageError(`cannot read the database: ${(err as Error).message.split('\n')[0]}`);
    }
    file = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: new Date().toISOString(), meta, data };
  } finally {
    await store.close();
  }

  if (values.out === undefined) {
    await writeExport(process.stdout, file);
    return;
  }
  // Written beside the target and renamed over it: FILE is either the old one or the whole new one.
  const temp = `${values.out}.${process.pid}.tmp`;
  try {
    const out = createWriteStream(temp, { mode: 0o600 });
    const failed = once(out, 'error').then(([err]) => {
      throw err;
    });
    failed.catch(() => undefined);
    await Promise.race([writeExport(out, file), failed]);
    out.end();
    await Promise.race([once(out, 'close'), failed]);
    renameSync(temp, values.out);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new UsageError(`cannot write ${values.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  process.stdout.write(`exported ${datasetSummary(file.data)} to ${values.out}\n`);
}
