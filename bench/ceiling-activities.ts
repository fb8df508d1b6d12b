/** The bench's ceiling workflows' activities: no work at all (bench/ceiling-workflows.ts). */
export function nothing(): Promise<void> {
  return Promise.resolve();
}
