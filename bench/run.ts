// `npm run bench`: the standard set (issue 6): SchedulingBasic 5,000 nodes / 10,000 pods and pod
// start-up at 500 pods/s over real NATS, the replay comparison of two scheduler profiles, and the
// simulated fleet (10,000 nodes in one agent); each appends its figures to bench/RESULTS.md with the
// machine it ran on. `--quick` runs the small variants of each.
// `npm run bench -- NAME... [--flags]`: runs bench/NAME.bench.ts (each exports `run(args)`) alone;
// `npm run bench -- --list` lists them.
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

/** The standard set: each benchmark with the flags that make it write its section of RESULTS.md. */
function standardSet(quick: boolean): Array<{ name: string; flags: string[] }> {
  const q = quick ? ['--quick'] : [];
  return [
    {
      name: 'load',
      flags: quick ? ['--quick'] : ['--workload=bench/workloads/scheduling-basic-5000n-10000p.yaml,bench/workloads/pod-startup-500pps.yaml'],
    },
    { name: 'replay', flags: [...q, '--results'] },
    { name: 'fleet', flags: [...q, '--results'] },
  ].filter((entry) => available.includes(entry.name));
}

async function runOne(name: string, flags: readonly string[]): Promise<void> {
  const module = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as BenchModule;
  await module.run(flags);
}

async function main(argv: readonly string[]): Promise<number> {
  const names = argv.filter((arg) => !arg.startsWith('-'));
  const flags = argv.filter((arg) => arg.startsWith('-'));
  if (flags.includes('--list')) {
    process.stdout.write(`usage: npm run bench [-- --quick]           the standard set\n       npm run bench -- NAME [--flags]   one benchmark\navailable: ${available.join(', ')}\n`);
    return 0;
  }
  if (names.length === 0) {
    const failures: string[] = [];
    for (const entry of standardSet(flags.includes('--quick'))) {
      process.stdout.write(`\n### npm run bench -- ${entry.name} ${entry.flags.join(' ')}\n`);
      try {
        await runOne(entry.name, entry.flags);
      } catch (error) {
        // The others still run and write their figures; the exit code says something failed.
        failures.push(`${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
        process.stderr.write(`bench ${entry.name} failed: ${failures.at(-1)}\n`);
      }
    }
    if (failures.length > 0) {
      process.stderr.write(`\n${failures.length} benchmark(s) failed:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
      return 1;
    }
    return 0;
  }
  for (const name of names) {
    if (!available.includes(name)) {
      process.stderr.write(`unknown benchmark ${JSON.stringify(name)}; available: ${available.join(', ')}\n`);
      return 2;
    }
  }
  for (const name of names) await runOne(name, flags);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
