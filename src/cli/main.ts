import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { serve } from './serve.js';
import { token } from './token.js';
import { UsageError } from './usage.js';

const HELP = `Usage: ghl-objects <command> [options]

A self-hosted server for the HighLevel (LeadConnector) Objects API.

Commands:
  serve    start the API server (optionally loading fixtures)
  token    create or revoke access tokens
  export   write everything a database holds, with its OAuth signing key, as one JSON file
  import   load such a file into another database (SQLite or PostgreSQL)

Run 'ghl-objects <command> --help' for a command's options.
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'token':
      return token(rest);
    case 'export':
      return exportCommand(rest);
    case 'import':
      return importCommand(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(HELP);
      return;
    default:
      throw new UsageError(`unknown command "${command}" (serve, token, export, import; see --help)`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`ghl-objects: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`ghl-objects: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
