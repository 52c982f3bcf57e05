import { runShim } from './container-shim.ts';

// The shim's entry: `node --import tsx container-shim-main.ts <spec.json>` (see container-shim.ts).

const specPath = process.argv[2];
if (specPath === undefined) {
  process.stderr.write('usage: container-shim-main.ts <spec.json>\n');
  process.exit(2);
}
runShim(specPath).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${new Date().toISOString()} shim failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
