import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake of the person at the keyboard: printed as one line, exit code 2. */
export class UsageError extends Error {}

export type Flags = NonNullable<ParseArgsConfig['options']>;

/** Parses flags strictly: an unknown flag or a missing value is a UsageError, never a stack trace. */
export function parseFlags<T extends Flags>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
}
