import { runShim } from './container-shim.ts';

// The shim's entry (see container-shim.ts). The runtime bundles it (shim-bundle.ts) and runs
// `node <stateDir>/shim/container-shim-<hash>.mjs <spec.json>`, or `node --import tsx
// container-shim-main.ts <spec.json>` without a bundle. Import only node built-ins and small local
// modules from here: every container pays for what the shim loads.

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
