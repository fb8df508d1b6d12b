// Part of `npm run build`: bundles the compiled workflows once so production workers start fast
// and run exactly the code that was built.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  const dist = path.resolve(__dirname, '..');
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dist, 'workflows', 'index.js') });
  const out = path.join(dist, 'workflow-bundle.js');
  fs.writeFileSync(out, code);
  console.log(`wrote ${out} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
