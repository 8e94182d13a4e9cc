import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { hashToken } from '../../src/services/tokens.js';
import { auth, call, tempDir } from '../helpers/test-server.js';

/**
 * The BUILT command line (`bin/ghl-objects` → `dist/`), run as real processes on temp databases
 * and free ports. `npm test` builds first; alone, run `npm run build` before this file.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ghl-objects');
const DEMO = 'fixtures/demo.json';
const LOCATION = 've9EPM428h8vShlRW1KT';
const DEMO_PIT = 'pit-0b0e1a9c-5b6f-4c3e-9a57-2f1f6f3e8d11';
const REX = '661c06b4ffde146bdb469442';
const REX_URL = `/objects/custom_objects.pet/records/${REX}`;
const PIT_RE = /^pit-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const SCOPES = 'objects/record.readonly,objects/record.write';
/** No run of the CLI may take longer than this; a server must be listening within it. */
const RUN_TIMEOUT_MS = 15_000;
/** CLI runs at once: each spends most of a second of CPU loading its modules. */
const PARALLEL = Math.max(2, availableParallelism());

// The environment the CLI reads must not leak in from the shell running the tests.
const ENV: NodeJS.ProcessEnv = { ...process.env };
for (const name of ['HOST', 'PORT', 'DATABASE', 'VERSIONS', 'LOG_LEVEL']) delete ENV[name];

const { dir, cleanup } = tempDir('ghl-objects-cli-');
let n = 0;
/** A path for a new database, in a directory of its own. */
function newDb(): string {
  const sub = join(dir, `db-${++n}`);
  mkdirSync(sub);
  return join(sub, 'ghl.db');
}

const children = new Set<ChildProcess>();
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sleep(50);
  cleanup();
});

before(() => {
  assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build` first (npm test does)');
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
}

/** Runs the CLI with this Node, or (`asProgram`) as a program, the way a shell runs `bin/ghl-objects`. */
function launch(args: string[], options: { asProgram?: boolean } = {}): Proc {
  const child = options.asProgram
    ? spawn(BIN, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to its end (killed, and failed, past RUN_TIMEOUT_MS). */
async function run(...args: string[]): Promise<Exit & { stdout: string; stderr: string }> {
  const p = launch(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const exit = await p.exited;
  clearTimeout(timer);
  assert.notEqual(exit.signal, 'SIGKILL', `ghl-objects ${args.join(' ')} did not finish within ${RUN_TIMEOUT_MS} ms`);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

interface Server extends Proc {
  url: string;
  banner: string;
  pit?: string;
  oauth?: string;
  stop(): Promise<Exit>;
}

const BANNER = /^ghl-objects listening on http:\/\/127\.0\.0\.1:(\d+) \(database [^\n]+\)\n/m;

/**
 * Starts `serve` on a free port and waits (bounded) for its whole banner: the listening line and,
 * after it, the lines up to and including the one `complete` asks for.
 */
async function serve(args: string[], complete: RegExp = /listening on [^\n]+\n/, options: { asProgram?: boolean } = {}): Promise<Server> {
  const p = launch(['serve', '--port', '0', ...args], options);
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  let exit: Exit | undefined;
  void p.exited.then((e) => (exit = e));
  while (!(BANNER.test(p.stdout()) && complete.test(p.stdout().slice(p.stdout().search(BANNER))))) {
    if (exit) assert.fail(`serve ${args.join(' ')} exited (${exit.code ?? exit.signal}) before listening:\n${p.stderr()}${p.stdout()}`);
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      assert.fail(`serve ${args.join(' ')} printed no banner within ${RUN_TIMEOUT_MS} ms:\n${p.stdout()}\n${p.stderr()}`);
    }
    await sleep(20);
  }
  const text = p.stdout();
  const banner = text.slice(text.search(BANNER));
  const port = Number(BANNER.exec(text)![1]);
  const pit = /Private Integration Token: (\S+)\n/.exec(banner)?.[1];
  const oauth = /OAuth access token: (\S+)\n/.exec(banner)?.[1];
  return {
    ...p,
    url: `http://127.0.0.1:${port}`,
    banner,
    pit,
    oauth,
    async stop() {
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 5_000);
      const e = await p.exited;
      clearTimeout(timer);
      return e;
    },
  };
}

const getRex = (server: Server, token: string) => call(`${server.url}${REX_URL}`, { headers: auth(token) });

/** The claims of a JWT, unverified. */
function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** One line on stderr, `ghl-objects: ...`, exit code 2, nothing on stdout. */
function assertUsageError(r: Exit & { stdout: string; stderr: string }, message: string | RegExp): void {
  assert.equal(r.code, 2, `exit code ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ghl-objects: [^\n]+\n$/, `not one line: ${JSON.stringify(r.stderr)}`);
  if (typeof message === 'string') assert.equal(r.stderr, `ghl-objects: ${message}\n`);
  else assert.match(r.stderr, message);
}

describe('--help', { concurrency: PARALLEL }, () => {
  const cases: Array<[string[], string, string]> = [
    [['--help'], 'Usage: ghl-objects <command> [options]\n', 'token    create or revoke access tokens'],
    [['serve', '--help'], 'Usage: ghl-objects serve [options]\n', '--fixtures FILE'],
    [['token', '--help'], 'Usage: ghl-objects token <command> [options]\n', 'revoke   revoke a token'],
    [['token', 'create', '--help'], 'Usage: ghl-objects token create --location ID --type pit|oauth --scopes LIST [options]\n', '--expires-in SECONDS'],
    [['token', 'revoke', '--help'], 'Usage: ghl-objects token revoke TOKEN [--db PATH]\n', '--db PATH'],
  ];
  for (const [args, first, mentions] of cases) {
    test(`ghl-objects ${args.join(' ') || '(no arguments)'}`, async () => {
      const r = await run(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.ok(r.stdout.startsWith(first), r.stdout);
      assert.ok(r.stdout.includes(mentions), `no "${mentions}" in:\n${r.stdout}`);
    });
  }
});

describe('usage errors: one line on stderr, exit code 2', { concurrency: PARALLEL }, () => {
  const fixtureDir = join(dir, 'files');
  mkdirSync(fixtureDir);
  const notJson = join(fixtureDir, 'not-json.json');
  writeFileSync(notJson, '{"locations": [');
  const notSqlite = join(fixtureDir, 'not-sqlite.db');
  writeFileSync(notSqlite, 'just some text, not an SQLite database at all\n'.repeat(20));
  const aDirectory = join(fixtureDir, 'a-directory.db');
  mkdirSync(aDirectory);
  const missing = join(fixtureDir, 'missing.json');
  const newer = join(fixtureDir, 'newer.db');
  const raw = new Database(newer);
  raw.pragma('user_version = 999');
  raw.close();

  const cases: Array<[string, () => string[], string | RegExp]> = [
    ['an unknown command', () => ['bogus'], 'unknown command "bogus" (serve, token, export, import; see --help)'],
    ['an unknown flag of serve', () => ['serve', '--bogus'], /^ghl-objects: Unknown option '--bogus'/],
    ['a port that is no number', () => ['serve', '--port', 'abc'], '--port must be a port number (0-65535), not "abc"'],
    ['token create without --location', () => ['token', 'create', '--db', newDb(), '--type', 'pit', '--scopes', SCOPES], '--location ID is required'],
    ['token create with a bad --type', () => ['token', 'create', '--db', newDb(), '--location', LOCATION, '--type', 'jwt', '--scopes', SCOPES], '--type must be pit or oauth'],
    [
      'token create with an unknown scope',
      () => ['token', 'create', '--db', newDb(), '--location', LOCATION, '--type', 'pit', '--scopes', 'objects/record.readonly,contacts.readonly'],
      /^ghl-objects: unknown scope contacts\.readonly; scopes are objects\/record\.readonly, /,
    ],
    [
      'token create --expires-in abc',
      () => ['token', 'create', '--db', newDb(), '--location', LOCATION, '--type', 'oauth', '--scopes', SCOPES, '--expires-in', 'abc'],
      '--expires-in must be a whole number of seconds, at least 1',
    ],
    [
      'token create for a location the database does not hold',
      () => ['token', 'create', '--db', newDb(), '--location', LOCATION, '--type', 'pit', '--scopes', SCOPES],
      `location ${LOCATION} does not exist in this database`,
    ],
    ['token revoke of something that is no token', () => ['token', 'revoke', '--db', newDb(), 'hello'], 'that is neither a Private Integration Token nor an OAuth access token'],
    ['serve --fixtures of a missing file', () => ['serve', '--db', newDb(), '--fixtures', missing], `cannot read fixtures ${missing}: ENOENT`],
    ['serve --fixtures of a file that is not JSON', () => ['serve', '--db', newDb(), '--fixtures', notJson], new RegExp(`^ghl-objects: fixtures ${notJson} is not valid JSON: `)],
    // An unreadable database, to every command that opens one.
    ['serve --fixtures on a database path that is a directory', () => ['serve', '--db', aDirectory, '--fixtures', DEMO], `cannot open database ${aDirectory}: unable to open database file`],
    ['serve on a database path that is a directory', () => ['serve', '--port', '0', '--db', aDirectory], `cannot open database ${aDirectory}: unable to open database file`],
    ['serve on a file that is not SQLite', () => ['serve', '--port', '0', '--db', notSqlite], `cannot open database ${notSqlite}: file is not a database`],
    [
      'serve on a database of a newer schema version',
      () => ['serve', '--port', '0', '--db', newer],
      `cannot open database ${newer}: the database is at schema version 999, newer than this ghl-objects (${MIGRATIONS.length}): upgrade ghl-objects`,
    ],
    [
      'token create on a file that is not SQLite',
      () => ['token', 'create', '--db', notSqlite, '--location', LOCATION, '--type', 'pit', '--scopes', SCOPES],
      `cannot open database ${notSqlite}: file is not a database`,
    ],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      assertUsageError(await run(...args()), message);
    });
  }
});

/** A fixture whose shape is right but whose content is not. */
const SEMANTIC_INVALID = {
  locations: [
    {
      id: LOCATION,
      name: 'Broken',
      objects: [{ key: 'custom_objects.pet', labels: { singular: 'Pet', plural: 'Pets' }, fields: [{ fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' }] }],
      records: [
        { objectKey: 'custom_objects.pet', properties: { name: 5, colour: 'brown' } },
        { objectKey: 'contact', properties: {} },
      ],
    },
  ],
};

describe('an invalid fixture', () => {
  const invalid = {
    locations: [
      {
        id: LOCATION,
        name: 'Broken',
        users: [{ id: 'short', name: 'Ada' }],
        objects: [{ key: 'custom_objects.pet', labels: { singular: 'Pet', plural: 'Pets' }, fields: [{ fieldKey: 'custom_objects.pet.name', name: 'Name', dataType: 'TEXT' }] }],
        records: [{ objectKey: 'custom_objects.pet', id: 'NOT-AN-ID', properties: {} }],
      },
    ],
    extra: 1,
  };
  const problems = [
    '$ has property extra that should not exist',
    '$.locations[0].users[0].id must be 20 characters [A-Za-z0-9]',
    '$.locations[0].records[0].id must be 24 lowercase hex characters',
  ];
  const semanticProblems = [
    '$.locations[0].records[0].properties.name must be a string',
    '$.locations[0].records[0].properties.colour is not a field of custom_objects.pet',
    '$.locations[0].records[1].objectKey contact is not business or a custom object of this location',
  ];

  for (const [what, doc, expected] of [
    ['its shape', invalid, problems],
    ['its content', SEMANTIC_INVALID, semanticProblems],
  ] as const) {
    test(`(${what}) is refused with every problem, exit 2, and the database stays empty`, async () => {
      const db = newDb();
      const file = join(dir, `invalid-${n}.json`);
      writeFileSync(file, JSON.stringify(doc));
      const r = await run('serve', '--port', '0', '--db', db, '--fixtures', file);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, [`ghl-objects: fixtures ${file} is invalid; nothing was loaded:`, ...expected.map((p) => `  ${p}`), ''].join('\n'));
      const store = openSqliteStore(db);
      try {
        assert.equal(await store.isEmpty(), true);
      } finally {
        await store.close();
      }
    });
  }
});

describe('bin/ghl-objects run as a program', () => {
  // Only Node's command line can turn V8's memory reducer off: the comment in bin/ghl-objects says why.
  const linuxOnly = process.platform === 'linux' ? false : 'reads the command line from /proc';
  test('is the server process itself, Node started with --no-memory-reducer, and SIGTERM makes it exit 0', { skip: linuxOnly }, async () => {
    const server = await serve(['--db', newDb(), '--fixtures', DEMO], /OAuth access token: \S+\n/, { asProgram: true });
    const argv = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
    assert.deepEqual(argv.slice(0, 2), ['node', '--no-memory-reducer'], `the shell replaced itself with Node (exec), which got the flag: ${argv.join(' ')}`);
    assert.equal((await getRex(server, DEMO_PIT)).status, 200);
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  });
});

describe('serve, token create and token revoke on one database', () => {
  const db = newDb();
  let server: Server | undefined;
  /** The tokens of the first load, and ones made by `token create`, to check after restarts. */
  let firstOauth = '';
  let createdPit = '';
  let revokedPit = '';

  after(async () => {
    if (server && server.child.exitCode === null) await server.stop();
  });

  const tokenCreate = (...args: string[]) => run('token', 'create', '--db', db, '--location', LOCATION, ...args);

  test('serve --fixtures on a fresh database prints the location and its tokens, which work over HTTP', async () => {
    server = await serve(['--db', db, '--fixtures', DEMO], /OAuth access token: \S+\n/);
    assert.match(server.banner, new RegExp(`^ghl-objects listening on http://127\\.0\\.0\\.1:\\d+ \\(database ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\n`));
    assert.ok(server.banner.includes(`Loaded fixtures ${DEMO}.\n`), server.banner);
    assert.ok(server.banner.includes(`  location ${LOCATION}  Private Integration Token: ${DEMO_PIT}\n`), server.banner);
    assert.match(server.banner, new RegExp(`  location ${LOCATION}  OAuth access token: \\S+\n`));
    assert.equal(server.pit, DEMO_PIT);
    assert.match(server.oauth!, JWT_RE);
    firstOauth = server.oauth!;

    for (const token of [server.pit!, server.oauth!]) {
      const res = await getRex(server, token);
      assert.equal(res.status, 200, res.text);
      const { record } = res.body as { record: { id: string; locationId: string; properties: { name: string } } };
      assert.equal(record.id, REX);
      assert.equal(record.locationId, LOCATION);
      assert.equal(record.properties.name, 'Rex');
    }
  });

  test('a second serve --fixtures on the now non-empty database exits 2 and names --reset and --keep', async () => {
    assert.ok(server);
    const r = await run('serve', '--port', '0', '--db', db, '--fixtures', DEMO);
    assertUsageError(r, `the database already holds data; use --reset to replace it with ${DEMO}, or --keep to keep it`);
    assert.equal((await getRex(server, DEMO_PIT)).status, 200, 'the running server is unharmed');
  });

  for (const [type, expiresIn] of [
    ['pit', undefined],
    ['pit', '3600'],
    ['oauth', undefined],
    ['oauth', '120'],
  ] as const) {
    test(`token create --type ${type}${expiresIn ? ` --expires-in ${expiresIn}` : ''} prints only the token, and the running server takes it at once`, async () => {
      assert.ok(server);
      const started = Date.now();
      const r = await tokenCreate('--type', type, '--scopes', SCOPES, ...(expiresIn ? ['--expires-in', expiresIn] : []));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^[^\n]+\n$/, `more than one line: ${JSON.stringify(r.stdout)}`);
      const token = r.stdout.trimEnd();
      assert.match(token, type === 'pit' ? PIT_RE : JWT_RE);

      const res = await getRex(server, token);
      assert.equal(res.status, 200, res.text);

      const store = openSqliteStore(db);
      try {
        const row = type === 'pit' ? await store.findTokenByHash(hashToken(token)) : await store.findTokenById(String(claims(token).jti));
        assert.ok(row, 'the token is in the database');
        assert.equal(row.locationId, LOCATION);
        assert.deepEqual(row.scopes, SCOPES.split(','));
        const lifetime = expiresIn === undefined ? (type === 'oauth' ? 86_399 : null) : Number(expiresIn);
        if (lifetime === null) assert.equal(row.expiresAt, null);
        else {
          const expires = Date.parse(row.expiresAt!);
          assert.ok(Math.abs(expires - (started + lifetime * 1000)) < 10_000, `expiresAt ${row.expiresAt}`);
        }
      } finally {
        await store.close();
      }
      if (type === 'oauth') {
        const c = claims(token);
        assert.equal(c.authClassId, LOCATION);
        assert.equal(Number(c.exp) - Number(c.iat), expiresIn === undefined ? 86_399 : Number(expiresIn));
        assert.deepEqual((c.oauthMeta as { scopes: string[] }).scopes, SCOPES.split(','));
      }
      if (type === 'pit' && expiresIn === undefined) createdPit = token;
    });
  }

  test('token create honours --scopes: a token without objects/record.readonly cannot read', async () => {
    assert.ok(server);
    const r = await tokenCreate('--type', 'pit', '--scopes', 'objects/schema.readonly');
    assert.equal(r.code, 0, r.stderr);
    const res = await getRex(server, r.stdout.trimEnd());
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { statusCode: 401, message: 'The token is not authorized for this scope.', error: 'Unauthorized' });
  });

  for (const type of ['pit', 'oauth'] as const) {
    test(`token revoke of a ${type} the running server has accepted makes it answer 401 within about a second`, async () => {
      assert.ok(server);
      const created = await tokenCreate('--type', type, '--scopes', SCOPES);
      assert.equal(created.code, 0, created.stderr);
      const token = created.stdout.trimEnd();
      // Accepted (and so cached by the server) before the revocation.
      assert.equal((await getRex(server, token)).status, 200);
      assert.equal((await getRex(server, token)).status, 200);

      const r = await run('token', 'revoke', '--db', db, token);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, 'revoked\n');
      const revokedAt = Date.now();

      let status = 0;
      let elapsed = 0;
      while (elapsed < 3_000) {
        status = (await getRex(server, token)).status;
        elapsed = Date.now() - revokedAt;
        if (status === 401) break;
        await sleep(50);
      }
      assert.equal(status, 401, `still ${status} ${elapsed} ms after the revocation`);
      assert.ok(elapsed <= 1_500, `refused only after ${elapsed} ms`);
      const res = await getRex(server, token);
      assert.deepEqual(res.body, { statusCode: 401, message: 'Invalid token: access token is invalid', error: 'Unauthorized' });
      // Other tokens are unaffected.
      assert.equal((await getRex(server, DEMO_PIT)).status, 200);
      if (type === 'pit') {
        // A second revocation is refused.
        assertUsageError(await run('token', 'revoke', '--db', db, token), 'no such token, or it is revoked already');
        revokedPit = token;
      }
    });
  }

  test('SIGTERM makes the server exit 0', async () => {
    assert.ok(server);
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    await assert.rejects(fetch(`${server.url}${REX_URL}`), 'nothing listens any more');
  });

  test('serve --fixtures --keep starts on the data there and loads nothing', async () => {
    assert.ok(firstOauth && createdPit && revokedPit, 'the tests before ran');
    server = await serve(['--db', db, '--fixtures', DEMO, '--keep'], /\(new tokens: [^\n]+\)\n/);
    assert.ok(server.banner.includes(`The database already holds data: kept it, loaded nothing from ${DEMO}.\n`), server.banner);
    // Of the fixture's tokens only the fixed PIT is still known; an OAuth token would be a new one, not in the database.
    assert.equal(server.pit, DEMO_PIT);
    assert.equal(server.oauth, undefined);
    assert.equal((await getRex(server, DEMO_PIT)).status, 200);
    assert.equal((await getRex(server, firstOauth)).status, 200, 'the OAuth token of the first load still works');
    assert.equal((await getRex(server, createdPit)).status, 200, 'a token made by token create still works');
    assert.equal((await getRex(server, revokedPit)).status, 401, 'a revoked token stays revoked');
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  });

  test('serve --fixtures --reset replaces the data', async () => {
    server = await serve(['--db', db, '--fixtures', DEMO, '--reset'], /OAuth access token: \S+\n/);
    assert.ok(server.banner.includes(`Loaded fixtures ${DEMO}.\n`), server.banner);
    assert.equal(server.pit, DEMO_PIT);
    assert.notEqual(server.oauth, firstOauth);
    assert.equal((await getRex(server, server.oauth!)).status, 200);
    assert.equal((await getRex(server, DEMO_PIT)).status, 200);
    assert.equal((await getRex(server, firstOauth)).status, 401, 'the OAuth token of the first load is gone');
    assert.equal((await getRex(server, createdPit)).status, 401, 'tokens made by token create are gone');
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  });

  test('serve --fixtures INVALID --reset is refused and leaves the data there', async () => {
    const file = join(dir, 'invalid-reset.json');
    writeFileSync(file, JSON.stringify(SEMANTIC_INVALID));
    const r = await run('serve', '--port', '0', '--db', db, '--fixtures', file, '--reset');
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.startsWith(`ghl-objects: fixtures ${file} is invalid; nothing was loaded:\n  $.locations[0]`), r.stderr);
    const store = openSqliteStore(db);
    try {
      assert.equal((await store.getLocation(LOCATION))?.name, 'Demo Pet Clinic');
      assert.ok(await store.findTokenByHash(hashToken(DEMO_PIT)));
      assert.ok(await store.getRecord('6798a1a18fc746e0eba2ccfe', REX));
    } finally {
      await store.close();
    }
  });
});
