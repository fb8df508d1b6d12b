// A workflow bundle with a bug on purpose: the top-up workflow's first workflow task throws a plain
// Error, which fails the workflow task (not the workflow) again and again until fixed code runs it.
export async function topupWorkflow(): Promise<never> {
  throw new Error('workflow bug on purpose');
}
