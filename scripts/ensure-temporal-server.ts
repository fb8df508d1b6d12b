// Builds the real Temporal server, its schema tool and ui-server once (pinned), for
// `npm run start:cluster`, `npm run test:topology` and the cluster benchmark.
import { ensureTemporalServerTools } from '../dev/infra/temporal-server';

try {
  ensureTemporalServerTools(console.log);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
