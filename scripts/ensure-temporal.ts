// Builds the Temporal CLI once (pinned) unless TEMPORAL_ADDRESS points at a real cluster.
import { ensureTemporalCli } from '../dev/infra/temporal-cli';

if (process.env.TEMPORAL_ADDRESS) {
  process.exit(0);
}
try {
  ensureTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
