import { describe, expect, it } from 'vitest';
import { IndexedHeap } from './heap.ts';

/** Deterministic PRNG (mulberry32) so that a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Item {
  key: string;
  value: number;
}

const heapOf = () => new IndexedHeap<Item>((i) => i.key, (a, b) => a.value < b.value || (a.value === b.value && a.key < b.key));

function drain(heap: IndexedHeap<Item>): Item[] {
  const out: Item[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
  return out;
}

describe('IndexedHeap', () => {
  it('pops in order and is empty afterwards', () => {
    const heap = heapOf();
    for (const value of [5, 1, 4, 2, 3]) heap.push({ key: `k${value}`, value });
    expect(heap.peek()).toEqual({ key: 'k1', value: 1 });
    expect(drain(heap).map((i) => i.value)).toEqual([1, 2, 3, 4, 5]);
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it('replaces an item pushed again under the same key and re-sorts it', () => {
    const heap = heapOf();
    heap.push({ key: 'a', value: 1 });
    heap.push({ key: 'b', value: 2 });
    heap.push({ key: 'a', value: 3 });
    expect(heap.size).toBe(2);
    expect(drain(heap).map((i) => i.key)).toEqual(['b', 'a']);
  });

  it('deletes by key from anywhere', () => {
    const heap = heapOf();
    for (let i = 0; i < 10; i += 1) heap.push({ key: `k${i}`, value: i });
    expect(heap.delete('k0')?.value).toBe(0);
    expect(heap.delete('k5')?.value).toBe(5);
    expect(heap.delete('missing')).toBeUndefined();
    expect(heap.has('k5')).toBe(false);
    expect(heap.get('k7')).toEqual({ key: 'k7', value: 7 });
    expect(drain(heap).map((i) => i.value)).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
  });

  it('stress: 10,000 items with random updates and deletes pop in sorted order', () => {
    const next = random(42);
    const heap = heapOf();
    const expected = new Map<string, number>();
    for (let i = 0; i < 10_000; i += 1) {
      const item = { key: `pod-${i}`, value: Math.floor(next() * 1000) };
      heap.push(item);
      expected.set(item.key, item.value);
    }
    for (let i = 0; i < 2_000; i += 1) {
      const key = `pod-${Math.floor(next() * 10_000)}`;
      if (next() < 0.5) {
        heap.delete(key);
        expected.delete(key);
      } else {
        const value = Math.floor(next() * 1000);
        heap.push({ key, value });
        expected.set(key, value);
      }
    }
    expect(heap.size).toBe(expected.size);
    const popped = drain(heap);
    const sorted = [...expected].map(([key, value]) => ({ key, value })).sort((a, b) => a.value - b.value || (a.key < b.key ? -1 : 1));
    expect(popped).toEqual(sorted);
  });
});
