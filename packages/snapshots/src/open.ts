// What a service's main() calls: the store when snapshots are on and the bucket can be opened,
// otherwise undefined (a service without snapshots replays the log; it does not fail to start).
import { connectSnapshots, KvSnapshotStore } from './kv-snapshot-store.ts';
import type { SnapshotLogger } from './restore.ts';

export interface OpenedSnapshots {
  store: KvSnapshotStore;
  close(): Promise<void>;
}

/** `--snapshots on|off` / FLOTILLA_SNAPSHOTS; on unless it says off (also: false, 0, no). */
export function snapshotsEnabled(raw: string | undefined): boolean {
  return raw === undefined || raw === '' || !/^(off|false|0|no)$/i.test(raw.trim());
}

/**
 * Takes `--snapshots` out of a service's flags (so that its own config parser does not see it) and
 * says whether snapshots are on, with FLOTILLA_SNAPSHOTS as the fallback.
 */
export function takeSnapshotsFlag(flags: Map<string, string>, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = flags.get('snapshots') ?? env.FLOTILLA_SNAPSHOTS;
  flags.delete('snapshots');
  return snapshotsEnabled(raw);
}

export async function openSnapshots(options: { servers: string | string[]; name: string; logger: SnapshotLogger }): Promise<OpenedSnapshots | undefined> {
  const nc = await connectSnapshots({ servers: options.servers, name: options.name }).catch((error: unknown) => {
    options.logger.warn('snapshots off: cannot connect', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  });
  if (!nc) return undefined;
  try {
    const store = await KvSnapshotStore.open(nc);
    return { store, close: () => nc.drain().catch(() => nc.close()) };
  } catch (error) {
    options.logger.warn('snapshots off: cannot open the bucket', { error: error instanceof Error ? error.message : String(error) });
    await nc.close();
    return undefined;
  }
}
