import { LeaseStore } from '../functions/shared/lease/lease-store.ts';
import { connectMysqlExecutor, type MysqlExecutor } from '../functions/shared/store/mysql-executor.ts';
import { summarizeLatencies, timeCall, type LatencySummary } from './statistics.ts';

export interface ContentionResult {
  readonly acquirers: number;
  readonly rounds: number;
  readonly acquire: LatencySummary;
}

const TABLE = 'tblcronlock';

/**
 * Starts `acquirers` acquisitions of one free lease at once, each on its own connection as
 * separate Lambda functions would be, for `rounds` rounds. Throws unless each round has exactly
 * one winner: that is the correctness check of the bench.
 */
export async function measureContention(databaseUrl: string, acquirers: number, rounds: number): Promise<ContentionResult> {
  const executors: MysqlExecutor[] = [];
  try {
    for (let index = 0; index < acquirers; index += 1) {
      executors.push(await connectMysqlExecutor(databaseUrl));
    }
    const stores = executors.map((executor) => new LeaseStore(executor, TABLE));
    const [first] = stores;
    if (first === undefined) {
      throw new RangeError('at least one acquirer is needed');
    }
    await first.ensureTable();

    const samples: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const lockName = `contention-${acquirers}-${round}`;
      await first.insertRow(lockName);
      const attempts = await Promise.all(stores.map(async (store, index) => {
        let acquired = false;
        const milliseconds = await timeCall(async () => {
          const result = await store.acquire({ lockName, owner: `bench-round-${round}-acquirer-${index}`, holdSeconds: 1800 });
          acquired = result.acquired;
        });
        return { acquired, milliseconds };
      }));
      const winners = attempts.filter((attempt) => attempt.acquired).length;
      if (winners !== 1) {
        throw new Error(`round ${round} with ${acquirers} acquirers had ${winners} winners, expected exactly 1`);
      }
      samples.push(...attempts.map((attempt) => attempt.milliseconds));
    }
    return { acquirers, rounds, acquire: summarizeLatencies(samples) };
  } finally {
    await Promise.all(executors.map((executor) => executor.close()));
  }
}
