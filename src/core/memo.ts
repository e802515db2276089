/**
 * A memo for work that a large round repeats with few distinct inputs (a round of 50,000
 * groups has a few dozen distinct sets of time zones). Cleared when full, so it stays small
 * whatever the community.
 */
export class Memo<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly capacity = 10_000) {}

  get(key: string, compute: () => V): V {
    let value = this.values.get(key);
    if (value === undefined) {
      if (this.values.size >= this.capacity) this.values.clear();
      value = compute();
      this.values.set(key, value);
    }
    return value;
  }
}
