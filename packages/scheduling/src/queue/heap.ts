/**
 * A binary min-heap (by `less`) with an index by key: push, pop, update and delete by key are all
 * O(log n), peek and has are O(1). The scheduling queue holds tens of thousands of pods.
 */
export class IndexedHeap<T> {
  readonly #items: T[] = [];
  readonly #positions = new Map<string, number>();
  readonly #keyOf: (item: T) => string;
  readonly #less: (a: T, b: T) => boolean;

  constructor(keyOf: (item: T) => string, less: (a: T, b: T) => boolean) {
    this.#keyOf = keyOf;
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#positions.has(key);
  }

  get(key: string): T | undefined {
    const position = this.#positions.get(key);
    return position === undefined ? undefined : this.#items[position];
  }

  /** Adds the item, or replaces (and re-sorts) the item with the same key. */
  push(item: T): void {
    const key = this.#keyOf(item);
    const existing = this.#positions.get(key);
    if (existing !== undefined) {
      this.#items[existing] = item;
      this.#fix(existing);
      return;
    }
    this.#items.push(item);
    this.#positions.set(key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top === undefined) return undefined;
    this.#removeAt(0);
    return top;
  }

  delete(key: string): T | undefined {
    const position = this.#positions.get(key);
    if (position === undefined) return undefined;
    const item = this.#items[position];
    this.#removeAt(position);
    return item;
  }

  /** The items in heap (not sorted) order; a copy, safe to mutate the heap while iterating it. */
  toArray(): T[] {
    return [...this.#items];
  }

  #removeAt(position: number): void {
    const removed = this.#items[position]!;
    this.#positions.delete(this.#keyOf(removed));
    const last = this.#items.pop()!;
    if (position === this.#items.length) return;
    this.#items[position] = last;
    this.#positions.set(this.#keyOf(last), position);
    this.#fix(position);
  }

  #fix(position: number): void {
    if (!this.#up(position)) this.#down(position);
  }

  /** Moves the item up while it is less than its parent; true when it moved. */
  #up(start: number): boolean {
    let position = start;
    const item = this.#items[position]!;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      const parentItem = this.#items[parent]!;
      if (!this.#less(item, parentItem)) break;
      this.#place(parentItem, position);
      position = parent;
    }
    if (position === start) return false;
    this.#place(item, position);
    return true;
  }

  #down(start: number): void {
    let position = start;
    const item = this.#items[position]!;
    const length = this.#items.length;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.#less(this.#items[right]!, this.#items[left]!)) child = right;
      const childItem = this.#items[child]!;
      if (!this.#less(childItem, item)) break;
      this.#place(childItem, position);
      position = child;
    }
    if (position !== start) this.#place(item, position);
  }

  #place(item: T, position: number): void {
    this.#items[position] = item;
    this.#positions.set(this.#keyOf(item), position);
  }
}
