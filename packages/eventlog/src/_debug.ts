import { startNatsServer, waitFor } from '@flotilla/testkit';
import { JetStreamEventLog, MemoryEventLog, podSubject } from '@flotilla/eventlog';
import type { EventLog } from '@flotilla/eventlog';

async function bench(name: string, log: EventLog) {
  const N = 50_000;
  const ev = (i: number) => ({ id: 'id-' + i, type: 'PodCreated', schemaVersion: 1, time: '2026-01-01T00:00:00Z', source: 'bench', data: { name: 'p' + i, ns: 'default', cpu: '100m', mem: '128Mi' } });
  let t = performance.now();
  const W = 2000;
  for (let i = 0; i < N; i += W) {
    await Promise.all(Array.from({ length: W }, (_, j) => log.append({ subject: podSubject('default', 'p' + ((i + j) % 1000)), msgId: 'm' + (i + j), event: ev(i + j) })));
  }
  const appendMs = performance.now() - t;
  t = performance.now();
  let n = 0;
  const sub = log.subscribe(1, () => void n++);
  await waitFor(() => n >= N, 60000, { intervalMs: 5 });
  const subMs = performance.now() - t;
  await sub.stop();
  t = performance.now();
  let r = 0;
  for await (const _ of log.read(1)) r++;
  const readMs = performance.now() - t;
  console.log(name, `append ${(N / appendMs * 1000).toFixed(0)}/s, subscribe ${(N / subMs * 1000).toFixed(0)}/s, read ${(r / readMs * 1000).toFixed(0)}/s`);
}
await bench('memory', new MemoryEventLog());
const server = await startNatsServer();
const log = await JetStreamEventLog.connect({ servers: server.url });
await bench('jetstream', log);
await log.close(); await server.stop();
