// The worker process of the chaos tests: the real worker (src/main-worker.ts) with the boundary
// killer installed (it acts only when CHAOS_PLAN_FILE is set). With CHAOS_PROMOTE_DIR set, the
// worker is created (bundle loaded, connections open) but polls only once a file named after its
// pid appears there: a warm standby that takes over the moment another worker process dies, as a
// second replica would. (Not a signal: the Temporal runtime shuts down on SIGUSR2.)
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import './boundary-killer';

const promoteDir = process.env.CHAOS_PROMOTE_DIR;
if (promoteDir) {
  const promoted = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (!fs.existsSync(path.join(promoteDir, String(process.pid)))) return;
      clearInterval(poll);
      resolve();
    }, 50);
  });
  const run = Worker.prototype.run;
  Worker.prototype.run = async function (this: Worker) {
    await promoted;
    return run.call(this);
  };
}

// After the patches: the worker starts when this module loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../src/main-worker');
