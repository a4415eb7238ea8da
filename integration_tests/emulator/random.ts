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

  /** Built from char codes in one go: `+=` would leave a chain of cons strings, a real cost at a million ids. */
  base62(length: number): string {
    return this.fromAlphabet(BASE62, 62, length);
  }

  hex(length: number): string {
    return this.fromAlphabet(BASE62, 16, length);
  }

  digits(length: number): string {
    return this.fromAlphabet(BASE62, 10, length);
  }

  private fromAlphabet(alphabet: string, size: number, length: number): string {
    const codes = new Array<number>(length);
    for (let i = 0; i < length; i++) codes[i] = alphabet.charCodeAt(this.int(size));
    return String.fromCharCode(...codes);
  }
}
