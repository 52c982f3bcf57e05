import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { findNatsServerBinary, getFreePort, startNatsServer, waitFor, type RunningNatsServer } from '@flotilla/testkit';
import { InvalidLeaseError, LeaseStoreUnavailableError } from './errors.ts';
import { LEASE_BUCKET, type NodeLease } from './lease.ts';
import { LeaseStore, connectLeases } from './lease-store.ts';

let server: RunningNatsServer;
let nc: NatsConnection;
let buckets = 0;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectLeases({ servers: server.url, name: 'lease-store-spec' });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const lease = (nodeName: string, second: number, duration = 40): NodeLease => ({
  nodeName,
  holderIdentity: `node-agent/${nodeName}`,
  renewTime: new Date(Date.UTC(2024, 4, 1, 10, 0, second)).toISOString(),
  leaseDurationSeconds: duration,
});

/** Each test its own bucket, so they do not see each other's leases. */
const freshStore = (options: Parameters<typeof LeaseStore.open>[1] = {}): Promise<LeaseStore> =>
  LeaseStore.open(nc, { bucket: `leases-${++buckets}`, ...options });

/** Collects what watch() yields: once `ready` holds it runs `act`, and it stops once `done` holds. */
async function watchUntil(
  store: LeaseStore,
  ready: (seen: NodeLease[]) => boolean,
  act: () => Promise<void>,
  done: (seen: NodeLease[]) => boolean,
): Promise<NodeLease[]> {
  const seen: NodeLease[] = [];
  const controller = new AbortController();
  const watching = (async () => {
    for await (const l of store.watch(controller.signal)) seen.push(l);
  })();
  try {
    await waitFor(() => ready(seen), 10_000, { description: `watch saw: ${JSON.stringify(seen)}` });
    await act();
    await waitFor(() => done(seen), 10_000, { description: `watch saw: ${JSON.stringify(seen)}` });
  } finally {
    controller.abort();
  }
  await watching;
  return seen;
}

describe('LeaseStore', () => {
  it('creates the bucket when missing (history 1, file storage) and opens it again when present', async () => {
    const store = await LeaseStore.open(nc);
    expect(store.bucket).toBe(LEASE_BUCKET);
    const info = await (await jetstreamManager(nc)).streams.info(`KV_${LEASE_BUCKET}`);
    expect(info.config.max_msgs_per_subject).toBe(1);
    expect(info.config.storage).toBe('file');
    await store.renew(lease('node-1', 0));
    const again = await LeaseStore.open(nc);
    expect(await again.get('node-1')).toEqual(lease('node-1', 0));
  });

  it('renews and reads leases, node names with dots and odd characters included; an unknown node has none', async () => {
    const store = await freshStore();
    for (const name of ['node-1', 'worker.eu.example.com', 'odd name=*']) {
      await store.renew(lease(name, 1));
      await store.renew(lease(name, 2));
      expect(await store.get(name)).toEqual(lease(name, 2));
    }
    expect(await store.get('never-registered')).toBeUndefined();
  });

  it('refuses to write an invalid lease and reports an invalid stored one', async () => {
    const store = await freshStore();
    await expect(store.renew({ ...lease('node-1', 0), renewTime: 'now' })).rejects.toBeInstanceOf(InvalidLeaseError);
    await expect(store.renew({ ...lease('node-1', 0), nodeName: '' })).rejects.toBeInstanceOf(InvalidLeaseError);
    const raw = await new Kvm(nc).open(store.bucket);
    await raw.put('broken', '{"nodeName":"broken"}');
    await expect(store.get('broken')).rejects.toThrow('the lease under key broken is not valid');
  });

  it('watch: the current lease of every node first, then each renewal; deletions and invalid values are skipped', async () => {
    const invalid: InvalidLeaseError[] = [];
    const store = await freshStore({ onInvalidLease: (error) => invalid.push(error) });
    await store.renew(lease('a', 1));
    await store.renew(lease('a', 2));
    await store.renew(lease('b.example', 1));
    const raw = await new Kvm(nc).open(store.bucket);
    const seen = await watchUntil(
      store,
      (s) => s.length === 2,
      async () => {
        await raw.put('junk', 'not json');
        await raw.delete('a');
        await store.renew(lease('b.example', 3));
        await store.renew(lease('c', 1));
      },
      (s) => s.some((l) => l.nodeName === 'c'),
    );
    expect(seen.slice(0, 2)).toEqual([lease('a', 2), lease('b.example', 1)]);
    expect(seen.slice(2)).toEqual([lease('b.example', 3), lease('c', 1)]);
    expect(invalid.map((e) => e.key)).toEqual(['junk']);
  });

  it('watch ends when the signal aborts, also before anything was written', async () => {
    const store = await freshStore();
    const controller = new AbortController();
    const seen: NodeLease[] = [];
    const watching = (async () => {
      for await (const l of store.watch(controller.signal)) seen.push(l);
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await watching;
    expect(seen).toEqual([]);
  });

  it('watch keeps going across a NATS server restart, without repeating what it already yielded', async () => {
    const store = await freshStore();
    await store.renew(lease('n1', 1));
    const seen = await watchUntil(
      store,
      (s) => s.length === 1,
      async () => {
        await server.restart();
        // Renewals fail while the client reconnects; the renewer simply tries again next round.
        await waitFor(
          async () => {
            try {
              await store.renew(lease('n2', 1));
              return true;
            } catch {
              return false;
            }
          },
          15_000,
          { intervalMs: 200 },
        );
      },
      (s) => s.some((l) => l.nodeName === 'n2'),
    );
    expect(seen).toEqual([lease('n1', 1), lease('n2', 1)]);
  });
});

describe('LeaseStore without JetStream', () => {
  it('says that JetStream is not enabled', async () => {
    const port = await getFreePort();
    const plain = spawn(findNatsServerBinary(), ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    try {
      let conn: NatsConnection | undefined;
      await waitFor(async () => {
        try {
          conn = await connectLeases({ servers: `nats://127.0.0.1:${port}` });
          return true;
        } catch {
          return false;
        }
      }, 10_000);
      try {
        const attempt = LeaseStore.open(conn!, { timeoutMs: 2_000 });
        await expect(attempt).rejects.toBeInstanceOf(LeaseStoreUnavailableError);
        await expect(attempt).rejects.toThrow(/cannot open the lease bucket "flotilla-leases": .*JetStream is not enabled on the NATS server: start nats-server with -js/);
      } finally {
        await conn?.close();
      }
    } finally {
      plain.kill('SIGKILL');
    }
  });
});
