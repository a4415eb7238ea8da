/**
 * Deterministic randomness for seeded data. Math.random is never used: the same seed must give the same project
 * on every machine, so tests can assert against the emulator's own store.
 */

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** FNV-1a over the parts, so a record's randomness can be derived from its id instead of stored. */
export function hashOf(...parts: (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    const text = String(part);
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    hash ^= 0x2f; // separator, so ("ab","c") and ("a","bc") differ
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: tiny, fast and good enough for fake data. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static derived(...parts: (string | number)[]): Random {
    return new Random(hashOf(...parts));
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  base62(length: number): string {
    let text = "";
    for (let i = 0; i < length; i++) text += BASE62[this.int(62)];
    return text;
  }

  hex(length: number): string {
    let text = "";
    for (let i = 0; i < length; i++) text += (this.int(16)).toString(16);
    return text;
  }

  digits(length: number): string {
    let text = "";
    for (let i = 0; i < length; i++) text += String(this.int(10));
    return text;
  }
}
