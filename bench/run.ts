// `npm run bench -- NAME...`: runs bench/NAME.bench.ts (each exports `run(args)`); no name lists them.
// Benchmarks print figures and assert nothing about speed (DESIGN.md §5).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(args: readonly string[]): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();

async function main(argv: readonly string[]): Promise<number> {
  const names = argv.filter((arg) => !arg.startsWith('-'));
  const flags = argv.filter((arg) => arg.startsWith('-'));
  if (names.length === 0) {
    process.stdout.write(`usage: npm run bench -- NAME [--flags]\navailable: ${available.join(', ')}\n`);
    return 2;
  }
  for (const name of names) {
    if (!available.includes(name)) {
      process.stderr.write(`unknown benchmark ${JSON.stringify(name)}; available: ${available.join(', ')}\n`);
      return 2;
    }
  }
  for (const name of names) {
    const module = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as BenchModule;
    await module.run(flags);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
