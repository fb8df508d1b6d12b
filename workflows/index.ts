// The workflow bundle's entry: every workflow the worker runs is exported here.
export { complianceReportWorkflow } from './compliance';
export { eventDispatcherWorkflow } from './dispatcher';
export { kycWorkflow } from './kyc';
export { notificationWorkflow } from './notification';
export { rechargeWorkflow } from './recharge';
export { reconciliationWorkflow } from './reconciliation';
export { reversalWorkflow } from './reversal';
export { topupWorkflow } from './topup';
