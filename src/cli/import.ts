import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { DEFAULT_DATABASE } from '../config.js';
import { DATA_TYPES } from '../services/field-types.js';
import { pointerToPath } from '../services/json-path.js';
import { StoreError, type Dataset } from '../store/store.js';
import { datasetSummary, EXPORT_FORMAT, EXPORT_VERSION, EXPORTED_META_KEYS, type ExportFile } from './export.js';
import { openStoreOrExplain } from './serve.js';
import { parseFlags, UsageError } from './usage.js';

export const IMPORT_HELP = `Usage: ghl-objects import [--db PATH|URL] [--db-schema NAME] [--in FILE] [--reset]

Loads a file written by 'ghl-objects export' into a database, SQLite or PostgreSQL, in one
transaction, with the export's OAuth signing key: the tokens of the original (Private Integration
Tokens and OAuth access tokens) work on the copy. The file is checked whole before anything is
written.

Refused when the database already holds data, unless --reset, which replaces it; and refused when
the database has an OAuth signing key of its own that differs from the export's (a server or
'token create' ran on it): import into a new database or schema then. Servers running on the
database see the imported data within a second.

Options:
  --db PATH|URL      SQLite database file, created when absent, or postgres:// URL
                     (env DATABASE; default ${DEFAULT_DATABASE})
  --db-schema NAME   PostgreSQL schema, created when absent (env DATABASE_SCHEMA; default public)
  --in FILE          read the export from FILE instead of stdin
  --reset            empty the database first
  -h, --help         show this help
`;

// The rows of a Dataset (src/store/store.ts), exactly: no property more or less.
const Str = Type.String();
const StrOrNull = Type.Union([Type.String(), Type.Null()]);
const Strings = Type.Array(Type.String());
const Bool = Type.Boolean();
const row = (properties: Record<string, TSchema>) => Type.Object(properties, { additionalProperties: false });
const Actor = row({ channel: Str, source: Str, sourceId: Str, createdAt: Str });

const ExportSchema = Type.Object(
  {
    format: Type.Literal(EXPORT_FORMAT),
    version: Type.Literal(EXPORT_VERSION),
    exportedAt: Type.Optional(Str),
    meta: Type.Object(Object.fromEntries(EXPORTED_META_KEYS.map((k) => [k, Type.Optional(Str)])), { additionalProperties: false }),
    data: Type.Object(
      {
        locations: Type.Array(row({ id: Str, name: Str, createdAt: Str })),
        users: Type.Array(row({ id: Str, locationId: Str, name: Str, email: StrOrNull })),
        tokens: Type.Array(
          row({
            id: Str,
            locationId: Str,
            kind: Type.Union([Type.Literal('pit'), Type.Literal('oauth')]),
            hash: StrOrNull,
            scopes: Strings,
            clientId: StrOrNull,
            createdAt: Str,
            expiresAt: StrOrNull,
            revokedAt: StrOrNull,
          }),
        ),
        objects: Type.Array(
          row({
            id: Str,
            locationId: Str,
            key: Str,
            standard: Bool,
            type: Type.Union([Type.Literal('USER_DEFINED'), Type.Literal('SYSTEM_DEFINED')]),
            labels: row({ singular: Str, plural: Str }),
            description: StrOrNull,
            primaryDisplayProperty: Str,
            searchableProperties: Strings,
            createdAt: Str,
            updatedAt: Str,
          }),
        ),
        folders: Type.Array(row({ id: Str, locationId: Str, objectId: Str, name: Str, createdAt: Str, updatedAt: Str })),
        fields: Type.Array(
          row({
            id: Str,
            locationId: Str,
            objectId: Str,
            fieldKey: Str,
            name: Str,
            dataType: Type.Union(DATA_TYPES.map((t) => Type.Literal(t))),
            description: StrOrNull,
            placeholder: StrOrNull,
            showInForms: Bool,
            options: Type.Array(Type.Object({ key: Str, label: Str })),
            acceptedFormats: StrOrNull,
            maxFileLimit: Type.Union([Type.Integer(), Type.Null()]),
            allowCustomOption: Bool,
            parentId: StrOrNull,
            unique: Bool,
            standard: Bool,
            createdAt: Str,
            updatedAt: Str,
          }),
        ),
        records: Type.Array(
          row({
            id: Str,
            locationId: Str,
            objectId: Str,
            owner: Strings,
            followers: Strings,
            properties: Type.Object({}),
            createdAt: Str,
            updatedAt: Str,
            createdBy: Actor,
            lastUpdatedBy: Actor,
          }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const ajv = new Ajv({ allErrors: true, strict: false });
const validateShape = ajv.compile<ExportFile>(ExportSchema);

function shapeMessage(e: ErrorObject): string {
  const path = pointerToPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${path} has property ${(e.params as { additionalProperty: string }).additionalProperty} that should not exist`;
    case 'required':
      return `${path}.${(e.params as { missingProperty: string }).missingProperty} is required`;
    case 'const':
      return `${path} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    default:
      return `${path} ${e.message ?? 'is invalid'}`;
  }
}

/** What is wrong with a parsed export, most telling first; empty when it can be loaded. */
export function exportProblems(doc: unknown): string[] {
  const top = doc as Partial<Record<string, unknown>> | null;
  if (typeof top !== 'object' || top === null || Array.isArray(top) || top.format !== EXPORT_FORMAT) {
    return [`it is not a ghl-objects export ($.format must be ${JSON.stringify(EXPORT_FORMAT)})`];
  }
  if (top.version !== EXPORT_VERSION) {
    return [`it is an export of version ${JSON.stringify(top.version)}; this ghl-objects reads version ${EXPORT_VERSION}`];
  }
  if (!validateShape(doc)) {
    // Ajv reports a union mismatch once per branch, then as anyOf: only the anyOf line is kept.
    const errs = validateShape.errors ?? [];
    const unionPaths = new Set(errs.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
    const out = errs
      .filter((e) => !unionPaths.has(e.instancePath) || e.keyword === 'anyOf')
      .map((e) => (e.keyword === 'anyOf' ? `${pointerToPath(e.instancePath)} has the wrong type or value` : shapeMessage(e)));
    return [...new Set(out)];
  }
  const problems: string[] = [];
  const key = doc.meta.oauth_signing_key;
  if (key !== undefined) {
    try {
      if (createPrivateKey(key).asymmetricKeyType !== 'rsa') problems.push('$.meta.oauth_signing_key must be an RSA private key');
    } catch {
      problems.push('$.meta.oauth_signing_key must be a private key in PEM');
    }
  }
  return [...problems, ...referenceProblems(doc.data)];
}

/** Duplicate ids, and rows that name a location, object or folder the export does not hold. */
function referenceProblems(data: Dataset): string[] {
  const problems: string[] = [];
  const ids = (table: keyof Dataset): Set<string> => {
    const set = new Set<string>();
    for (const [i, r] of (data[table] as Array<{ id: string }>).entries()) {
      if (set.has(r.id)) problems.push(`$.data.${table}[${i}].id ${JSON.stringify(r.id)} appears twice`);
      set.add(r.id);
    }
    return set;
  };
  const locations = ids('locations');
  const objects = ids('objects');
  const folders = ids('folders');
  for (const table of ['users', 'tokens', 'fields', 'records'] as const) ids(table);
  const check = (table: keyof Dataset, column: 'locationId' | 'objectId' | 'parentId', known: Set<string>, what: string) => {
    for (const [i, r] of (data[table] as unknown as Array<Record<string, unknown>>).entries()) {
      const v = r[column];
      if (typeof v === 'string' && !known.has(v)) problems.push(`$.data.${table}[${i}].${column} names no ${what} of the export: ${JSON.stringify(v)}`);
    }
  };
  for (const table of ['users', 'tokens', 'objects', 'folders', 'fields', 'records'] as const) check(table, 'locationId', locations, 'location');
  for (const table of ['folders', 'fields', 'records'] as const) check(table, 'objectId', objects, 'object');
  check('fields', 'parentId', folders, 'folder');
  return problems;
}

function readSource(file: string | undefined): { text: string; name: string } {
  if (file === undefined) {
    if (process.stdin.isTTY) throw new UsageError('give --in FILE, or pipe an export into stdin');
    try {
      return { text: readFileSync(0, 'utf8'), name: 'stdin' };
    } catch (err) {
      throw new UsageError(`cannot read stdin: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  try {
    return { text: readFileSync(file, 'utf8'), name: file };
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** OAuth tokens of a dataset that are neither revoked nor expired: those the signing key must verify. */
function liveOauthTokens(data: Dataset, now = Date.now()): number {
  return data.tokens.filter((t) => t.kind === 'oauth' && t.revokedAt === null && (t.expiresAt === null || Date.parse(t.expiresAt) > now)).length;
}

/** First line of an error's message: what the one-line usage error shows. */
const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export async function importCommand(args: string[]): Promise<void> {
  const { values } = parseFlags(args, { db: { type: 'string' }, 'db-schema': { type: 'string' }, in: { type: 'string' }, reset: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(IMPORT_HELP);
    return;
  }
  const reset = values.reset ?? false;
  // The file is read and checked whole first: a bad one touches no database, nor creates one.
  const source = readSource(values.in);
  let doc: unknown;
  try {
    doc = JSON.parse(source.text);
  } catch (err) {
    throw new UsageError(`${source.name} is not valid JSON: ${firstLine(err)}`);
  }
  const problems = exportProblems(doc);
  if (problems.length) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new UsageError(`${source.name} cannot be imported, nothing was written: ${problems[0]}${more}`);
  }
  const file = doc as ExportFile;

  const target = values.db ?? process.env.DATABASE ?? DEFAULT_DATABASE;
  const store = await openStoreOrExplain(target, values['db-schema'] ?? process.env.DATABASE_SCHEMA);
  let keptOwnKey = false;
  try {
    const fail = (err: unknown): never => {
      if (err instanceof UsageError) throw err;
      if (err instanceof StoreError && err.kind === 'not_empty') throw new UsageError('the database already holds data; use --reset to replace it');
      throw new UsageError(`cannot import ${source.name}, nothing was loaded: ${firstLine(err)}`);
    };
    try {
      if (!reset && !(await store.isEmpty())) throw new UsageError('the database already holds data; use --reset to replace it');
      // The key first: once the data is in, its OAuth tokens verify. Stored only where none is yet
      // (race-free against a server starting on the database right now); a different key there is refused.
      const key = file.meta.oauth_signing_key;
      if (key !== undefined && (await store.putMetaIfAbsent('oauth_signing_key', key)) !== key) {
        keptOwnKey = true;
        if (liveOauthTokens(file.data) > 0) {
          throw new UsageError(
            "the database has an OAuth signing key of its own, not the export's (a server or token create ran on it), so the export's OAuth tokens would not verify; import into a new database",
          );
        }
      }
      await store.loadDataset(file.data, { reset });
    } catch (err) {
      fail(err);
    }
  } finally {
    await store.close();
  }
  const keyNote =
    file.meta.oauth_signing_key === undefined
      ? ' (the export holds no OAuth signing key)'
      : keptOwnKey
        ? " (kept the database's own OAuth signing key: the export holds no OAuth token that is still valid)"
        : ' and the OAuth signing key';
  process.stdout.write(`imported ${datasetSummary(file.data)}${keyNote}\n`);
}
