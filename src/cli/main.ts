#!/usr/bin/env -S node --max-semi-space-size=64
// The flags above are CLI_NODE_FLAGS (src/util/paths.ts); ./run passes the same.
import { commands, type Command } from './commands.js';
import { UsageError } from './flags.js';

function usage(): string {
  const rows = commands.map((c) => `  ovnscale ${c.words.join(' ').padEnd(18)} ${c.summary}`);
  return ['usage: ovnscale <command> [flags]   (each command takes --help)', '', 'commands:', ...rows, ''].join('\n');
}

/** The command whose words are the longest prefix of argv. */
function match(argv: string[]): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.words.every((w, i) => argv[i] === w) && (!best || c.words.length > best.words.length)) best = c;
  }
  return best;
}

async function main(argv: string[]): Promise<number> {
  const cmd = match(argv);
  if (!cmd) {
    const asked = argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h';
    process[asked ? 'stdout' : 'stderr'].write((asked ? '' : `ovnscale: unknown command '${argv.join(' ')}'\n\n`) + usage());
    return asked ? 0 : 2;
  }
  const mod = await cmd.load();
  return mod.run(argv.slice(cmd.words.length));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`ovnscale: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`ovnscale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
