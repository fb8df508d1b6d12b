/**
 * The bench's own worker (bench/recharge.ts, "ceiling"), as a process of its own like the Tijori
 * worker: polls BENCH_CEILING_TASK_QUEUE with the bench-only workflows, default worker options.
 * Prints "ceiling worker started" once it polls.
 */
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './ceiling-activities';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: process.env.BENCH_CEILING_TASK_QUEUE!,
    workflowsPath: path.join(__dirname, 'ceiling-workflows.ts'),
    activities,
  });
  const running = worker.run();
  console.log('ceiling worker started');
  process.once('SIGTERM', () => worker.shutdown());
  await running;
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
