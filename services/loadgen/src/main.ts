// `npm run load -- FILE [--out DIR] [--server URL --nats URL] [--quiet] [--no-limit]`
import { LOAD_USAGE, LoadUsageError, parseLoadArgs, runLoadCommand } from './load-command.ts';

try {
  const args = parseLoadArgs(process.argv.slice(2));
  process.exitCode = await runLoadCommand(args);
} catch (error) {
  if (!(error instanceof LoadUsageError)) throw error;
  process.stderr.write(`${error.message}\n${LOAD_USAGE}\n`);
  process.exitCode = 2;
}
// Idle keep-alive sockets must not hold the process open once the run is over.
setTimeout(() => process.exit(), 2000).unref();
