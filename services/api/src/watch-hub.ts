import type { StateChange } from '@flotilla/state';

export interface WatchEvent {
  seq: number;
  change: StateChange;
}

type Listener = (event: WatchEvent) => void;

/**
 * Keeps the most recent changes in a ring so a watch can resume from a recent resourceVersion
 * without touching the log, and fans live changes out to open watches in log order.
 */
export class WatchHub {
  private readonly ring: WatchEvent[] = [];
  private start = 0;
  private readonly listeners = new Set<Listener>();
  /** Every change with seq > floor is in the ring. */
  private floor: number;

  constructor(private readonly capacity: number, initialSeq: number) {
    this.floor = initialSeq;
  }

  publish(seq: number, changes: readonly StateChange[]): void {
    for (const change of changes) {
      const event = { seq, change };
      if (this.ring.length - this.start >= this.capacity) {
        this.floor = this.ring[this.start]!.seq;
        this.start++;
        if (this.start > this.capacity) {
          this.ring.splice(0, this.start);
          this.start = 0;
        }
      }
      this.ring.push(event);
      for (const listener of this.listeners) listener(event);
    }
  }

  /** Changes with seq > after, or undefined when the ring no longer reaches back that far. */
  since(after: number): WatchEvent[] | undefined {
    if (after < this.floor) return undefined;
    const out: WatchEvent[] = [];
    for (let i = this.start; i < this.ring.length; i++) {
      const event = this.ring[i]!;
      if (event.seq > after) out.push(event);
    }
    return out;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
