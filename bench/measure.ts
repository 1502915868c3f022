// Small measuring helpers shared by the benchmark files.
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The CPU-bound workload: a pure-JS loop the optimizer can't remove. */
export function spin(n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + i * i) % 1000003;
  return x;
}

export function rssMb(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}
