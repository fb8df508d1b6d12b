// The workflow bundle's entry: every workflow the worker runs is exported here.
export { notificationWorkflow } from './notification';
export { topupWorkflow } from './topup';
