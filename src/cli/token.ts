import { decodeJwt } from 'jose';
import { isPit } from '../ids.js';
import { createServices } from '../services/container.js';
import { isScope, SCOPES, type Scope } from '../services/scopes.js';
import { hashToken } from '../services/tokens.js';
import { DEFAULT_DATABASE } from '../config.js';
import { openStoreOrExplain } from './serve.js';
import { parseFlags, UsageError } from './usage.js';

export const TOKEN_HELP = `Usage: ghl-objects token <command> [options]

Commands:
  create   issue a new token for a location and print it
  revoke   revoke a token

Run 'ghl-objects token <command> --help' for a command's options.
`;

const CREATE_HELP = `Usage: ghl-objects token create --location ID --type pit|oauth --scopes LIST [options]

Issues a token bound to one location and prints only the token, so scripts can capture it.
Works while a server runs on the same database.

Options:
  --db PATH|URL         SQLite database file or postgres:// URL (env DATABASE; default ${DEFAULT_DATABASE})
  --db-schema NAME      PostgreSQL schema (env DATABASE_SCHEMA; default public)
  --location ID         the location (sub-account) the token is bound to
  --type pit|oauth      a Private Integration Token, or a Sub-Account OAuth access token (JWT)
  --scopes LIST         comma-separated scopes, of: ${SCOPES.join(', ')}
  --expires-in SECONDS  lifetime (OAuth default 86399; PITs do not expire unless given)
  -h, --help            show this help
`;

const REVOKE_HELP = `Usage: ghl-objects token revoke TOKEN [--db PATH]

Revokes a token (a PIT or an OAuth access token). Servers on the same database refuse it
within a second.

Options:
  --db PATH|URL      SQLite database file or postgres:// URL (env DATABASE; default ${DEFAULT_DATABASE})
  --db-schema NAME   PostgreSQL schema (env DATABASE_SCHEMA; default public)
  -h, --help   show this help
`;

function dbPath(flag: string | undefined): string {
  return flag ?? process.env.DATABASE ?? DEFAULT_DATABASE;
}

async function create(args: string[]): Promise<void> {
  const { values } = parseFlags(args, {
    db: { type: 'string' },
    'db-schema': { type: 'string' },
    location: { type: 'string' },
    type: { type: 'string' },
    scopes: { type: 'string' },
    'expires-in': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(CREATE_HELP);
    return;
  }
  if (!values.location) throw new UsageError('--location ID is required');
  if (values.type !== 'pit' && values.type !== 'oauth') throw new UsageError('--type must be pit or oauth');
  if (!values.scopes) throw new UsageError('--scopes LIST is required');
  const scopes = values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length || scopes.length === 0) throw new UsageError(`unknown scope ${unknown.join(', ') || '(none given)'}; scopes are ${SCOPES.join(', ')}`);
  let expiresIn: number | undefined;
  if (values['expires-in'] !== undefined) {
    expiresIn = Number(values['expires-in']);
    if (!/^\d+$/.test(values['expires-in']) || expiresIn < 1) throw new UsageError('--expires-in must be a whole number of seconds, at least 1');
  }

  const store = await openStoreOrExplain(dbPath(values.db), values['db-schema'] ?? process.env.DATABASE_SCHEMA);
  try {
    if (!(await store.getLocation(values.location))) throw new UsageError(`location ${values.location} does not exist in this database`);
    const services = await createServices(store);
    const { token, row } = await services.tokens.issue(values.type, { locationId: values.location, scopes: [...new Set(scopes)] as Scope[], expiresIn });
    await store.insertToken(row);
    process.stdout.write(`${token}\n`);
  } finally {
    await store.close();
  }
}

async function revoke(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args, { db: { type: 'string' }, 'db-schema': { type: 'string' } }, true);
  if (values.help) {
    process.stdout.write(REVOKE_HELP);
    return;
  }
  const [token, ...rest] = positionals;
  if (!token || rest.length) throw new UsageError('give exactly one TOKEN to revoke');
  const store = await openStoreOrExplain(dbPath(values.db), values['db-schema'] ?? process.env.DATABASE_SCHEMA);
  try {
    let id: string | undefined;
    if (isPit(token)) id = (await store.findTokenByHash(hashToken(token)))?.id;
    else {
      try {
        id = decodeJwt(token).jti;
      } catch {
        throw new UsageError('that is neither a Private Integration Token nor an OAuth access token');
      }
    }
    if (!id || !(await store.revokeToken(id, new Date().toISOString()))) throw new UsageError('no such token, or it is revoked already');
    process.stdout.write('revoked\n');
  } finally {
    await store.close();
  }
}

export async function token(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case 'create':
      return create(rest);
    case 'revoke':
      return revoke(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(TOKEN_HELP);
      return;
    default:
      throw new UsageError(`unknown token command "${command}" (create, revoke)`);
  }
}
