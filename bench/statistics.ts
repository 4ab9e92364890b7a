/** Percentiles of timings in milliseconds, nearest-rank. */
export interface LatencySummary {
  readonly count: number;
  readonly medianMilliseconds: number;
  readonly p99Milliseconds: number;
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) {
    throw new RangeError('no samples to summarize');
  }
  const sorted = [...samples].sort((left, right) => left - right);
  return {
    count: sorted.length,
    medianMilliseconds: percentile(sorted, 50),
    p99Milliseconds: percentile(sorted, 99),
  };
}

function percentile(sorted: readonly number[], rank: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((rank / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Times one call in milliseconds with the monotonic clock. */
export async function timeCall(call: () => Promise<unknown>): Promise<number> {
  const startedAt = performance.now();
  await call();
  return performance.now() - startedAt;
}
