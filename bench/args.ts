import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const HELP = `Usage: npm run bench -- [options]

Load benchmark of Get Record By Id, Create record and Search against a bare node:http server
serving the same bytes as Get Record By Id.

Options:
  --records N       pet records to generate (default 100000)
  --connections C   concurrent connections (default 50)
  --search-connections C
                    concurrent connections of the search case (default 1: the latency one
                    client sees; at C connections a search waits for up to C-1 others)
  --small-records N also measure Get Record By Id PIT on a second database of N records, for
                    the ratio of the two (default 10000; 0: skip; skipped when not below --records)
  --duration S      seconds of measured load per case (default 10; a Get case's are shared
                    between its 4 turns)
  --warmup S        seconds of unmeasured load before each case (default 5; 3 times that
                    before the first case on each server, at most 2 before a Get case's later
                    turns)
  --db PATH         use this database: reused when it exists (fresh tokens are added to it),
                    otherwise generated there and kept; default: a temp file, removed after
  --pg URL          also load the same data into a new PostgreSQL schema (dropped at the end) and
                    measure Get Record By Id PIT on one, then two server processes; off by
                    default (e.g. --pg postgres://postgres@127.0.0.1:5432/test)
  --json            print a JSON summary on stdout instead of the table
  -h, --help        show this help
`;

export interface BenchOptions {
  records: number;
  connections: number;
  searchConnections: number;
  /** Records of the second database (0: none). */
  smallRecords: number;
  durationS: number;
  warmupS: number;
  /** Absolute path, or undefined for a temp database. */
  db: string | undefined;
  /** PostgreSQL URL for the PostgreSQL cases; undefined: skip them. */
  pg: string | undefined;
  json: boolean;
  /** Flags given explicitly, for the report (`npm run bench -- …`). */
  argv: string[];
}

export class UsageError extends Error {}

function count(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) throw new UsageError(`--${flag} must be a whole number, at least ${min}, not "${text}"`);
  return n;
}

/** Parses the flags; returns undefined for --help (printed already). */
export function parseBenchArgs(argv: string[]): BenchOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        records: { type: 'string' },
        connections: { type: 'string' },
        'search-connections': { type: 'string' },
        'small-records': { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        db: { type: 'string' },
        pg: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  return {
    records: count('records', values.records, 100_000, 1),
    connections: count('connections', values.connections, 50, 1),
    searchConnections: count('search-connections', values['search-connections'], 1, 1),
    smallRecords: count('small-records', values['small-records'], 10_000, 0),
    durationS: count('duration', values.duration, 10, 1),
    warmupS: count('warmup', values.warmup, 5, 0),
    // npm runs scripts from the package root; a relative path means the caller's directory.
    db: values.db === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), values.db),
    pg: values.pg,
    json: values.json ?? false,
    argv,
  };
}
