import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad flag or argument: main prints the message alone and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * Strict flag parsing with a --help that lists every flag and its default.
 * `help` describes each flag; unknown flags are usage errors.
 */
export function parseFlags(
  argv: string[],
  command: string,
  options: FlagSpec,
  help: Record<string, string>,
): Parsed | undefined {
  const spec: FlagSpec = { ...options, help: { type: 'boolean', short: 'h' } };
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  if (parsed.values.help) {
    const lines = Object.entries(options).map(([name, o]) => {
      const def = o.default === undefined ? '' : ` (default ${String(o.default)})`;
      const arg = o.type === 'string' ? ' <value>' : '';
      return `  --${name}${arg}`.padEnd(34) + `${help[name] ?? ''}${def}`;
    });
    process.stdout.write(`usage: ovnscale ${command} [flags]\n\n${lines.join('\n')}\n`);
    return undefined;
  }
  return parsed;
}

export function intFlag(p: Parsed, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = p.values[name];
  if (typeof raw !== 'string') throw new UsageError(`--${name}: a value is required`);
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`--${name}: expected an integer, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name}: expected an integer in [${min}, ${max}], got ${n}`);
  return n;
}

export function optionalIntFlag(p: Parsed, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return p.values[name] === undefined ? undefined : intFlag(p, name, min, max);
}

export function stringFlag(p: Parsed, name: string): string | undefined {
  const raw = p.values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new UsageError(`--${name}: expected a value`);
  return raw;
}

export function boolFlag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}
