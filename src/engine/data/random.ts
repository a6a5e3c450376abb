// Host-side seeded randomness for data generation, shuffling and augmentation. Streams are named by
// strings such as `${seed}/train` or `${seed}/perm/${epoch}`, so any stream can be rebuilt from its name
// alone (a resumed run needs no stored RNG state).
import seedrandom from 'seedrandom';

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

/** A seeded generator (Alea: fast, well distributed, reproducible across platforms). */
export function createRng(streamName: string): Rng {
  const next = seedrandom.alea(streamName);
  let spare: number | null = null;
  const uniform = (): number => next();
  return {
    uniform,
    range: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== null) {
        const z = spare;
        spare = null;
        return z;
      }
      // 1 - u keeps the logarithm's argument in (0, 1].
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const a = 2 * Math.PI * next();
      spare = r * Math.sin(a);
      return r * Math.cos(a);
    },
  };
}
