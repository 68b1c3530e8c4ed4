/**
 * A small, fast, seedable PRNG (sfc32, seeded through splitmix32) with the distributions the
 * simulator needs. Math.random is never used: the same seed must give the same events.
 */
export interface Random {
  next(): number;
  int(min: number, maxInclusive: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
  normal(mean: number, sd: number): number;
  lognormal(mu: number, sigma: number): number;
  /** Heavy tail for virality: P(X > x) = (min / x)^alpha. */
  pareto(min: number, alpha: number): number;
  poisson(lambda: number): number;
  fork(salt: number): Random;
}

export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted(items, weights) {
      let total = 0;
      for (const w of weights) total += w;
      let r = next() * total;
      for (let i = 0; i < items.length; i++) {
        r -= weights[i]!;
        if (r <= 0) return items[i]!;
      }
      return items[items.length - 1]!;
    },
    normal(mean, sd) {
      const u = 1 - next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    lognormal: (mu, sigma) => Math.exp(random.normal(mu, sigma)),
    pareto: (min, alpha) => min / (1 - next()) ** (1 / alpha),
    poisson(lambda) {
      if (lambda > 30) return Math.max(0, Math.round(random.normal(lambda, Math.sqrt(lambda))));
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    },
    fork: (salt) => createRandom((seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0),
  };
  return random;
}
