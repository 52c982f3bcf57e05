// A tiny service for shutdown.int.spec.ts: logs "ready", then waits for a signal.
// SHUTDOWN_MODE picks how its stop callback behaves: clean | slow | hang | fail.
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';

const mode = process.env.SHUTDOWN_MODE ?? 'clean';
const logger = createLogger('fixture', { replica: 'fixture-a' }, 'info');
const keepAlive = setInterval(() => undefined, 60_000);

onShutdown(logger, async () => {
  logger.info('stop called', { mode });
  if (mode === 'fail') throw new Error('drain failed', { cause: new Error('connection closed') });
  if (mode === 'hang') await new Promise(() => undefined);
  if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 2_000));
  // "In-flight work" that logs a burst right before the exit: every line must still arrive.
  for (let i = 0; i < 2_000; i++) logger.info('in-flight item finished', { i });
  clearInterval(keepAlive);
});

logger.info('ready', { pid: process.pid });
