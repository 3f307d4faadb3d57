// A seeded random generator (mulberry32), for the tests and the tools alike:
// what it makes follows from its seed, so a fast-check counterexample, a fuzz
// case or a reliability run replays.

export interface Random {
  /** A number in [0, 1). */
  (): number;
  /** The next 32 random bits as an unsigned integer; () is this divided by 2 ** 32. */
  uint32(): number;
  /** An integer in [0, limit). */
  int(limit: number): number;
  /** One element of `list`. */
  pick<T>(list: readonly T[]): T;
}

export function prng(seed: number): Random {
  let state = seed >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const random = (): number => uint32() / 4294967296;
  return Object.assign(random, {
    uint32,
    int: (limit: number): number => Math.floor(random() * limit),
    pick: <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)],
  });
}
