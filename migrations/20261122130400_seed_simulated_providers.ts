import type { Knex } from 'knex';

/**
 * The two simulated providers (dev/simulators/operator/alpha.ts, beta.ts) as data, and routes
 * for every operator: alpha first, beta second. Their credentials come from the PROVIDER_*
 * variables named here; in development and test config supplies the simulator's defaults.
 */

const OPERATORS = ['JIO', 'AIRTEL', 'VI', 'BSNL', 'TATAPLAY', 'AIRTELDTH', 'DISHTV', 'D2H', 'SUNDIRECT'];

const callbackSignature = {
  header: 'X-Signature',
  algorithm: 'hmac-sha256',
  encoding: 'hex',
  secretEnv: 'PROVIDER_CALLBACK_SECRET',
};

const alpha = {
  baseUrl: '{operatorBaseUrl}/alpha',
  timeoutMs: 10_000,
  credentials: [{ header: 'X-Api-Key', env: 'PROVIDER_ALPHA_API_KEY' }],
  operators: Object.fromEntries(OPERATORS.map((o) => [o, o])),
  amount: { unit: 'paise', format: 'integer' },
  submit: {
    method: 'POST',
    path: '/recharge',
    encoding: 'json',
    constants: {},
    fields: {
      clientRef: 'clientRef',
      operator: 'operator',
      subscriber: 'subscriber',
      amount: 'amount',
      circle: 'circle',
    },
  },
  status: { method: 'GET', path: '/status/{clientRef}', encoding: 'query', constants: {}, fields: {} },
  response: {
    format: 'json',
    fields: {
      status: 'status',
      providerTxnId: 'txnId',
      operatorRef: 'operatorRef',
      errorCode: 'errorCode',
      message: 'message',
    },
    codes: { success: ['SUCCESS'], pending: ['PENDING'], failed: ['FAILED'], reversed: ['REVERSED'] },
    subscriberFaults: ['INVALID_NUMBER', 'INVALID_AMOUNT'],
    callErrorCodes: ['AUTH_FAILED', 'BAD_REQUEST'],
    duplicateCodes: [],
    notFound: { httpStatuses: [], errorCodes: ['TXN_NOT_FOUND'], statusCodes: ['NOT_FOUND'] },
    unavailableHttpStatuses: [503],
  },
  callback: {
    format: 'json',
    fields: {
      clientRef: 'clientRef',
      status: 'status',
      providerTxnId: 'txnId',
      operatorRef: 'operatorRef',
      errorCode: 'errorCode',
      message: 'message',
    },
    signature: callbackSignature,
  },
};

const beta = {
  baseUrl: '{operatorBaseUrl}/beta',
  timeoutMs: 10_000,
  credentials: [
    { param: 'userid', env: 'PROVIDER_BETA_USERID' },
    { param: 'token', env: 'PROVIDER_BETA_TOKEN' },
  ],
  operators: {
    JIO: 'RJ',
    AIRTEL: 'AT',
    VI: 'VI',
    BSNL: 'BT',
    TATAPLAY: 'TS',
    AIRTELDTH: 'AD',
    DISHTV: 'DT',
    D2H: 'VD',
    SUNDIRECT: 'SD',
  },
  amount: { unit: 'rupees', format: 'decimal' },
  submit: {
    method: 'POST',
    path: '/api/recharge',
    encoding: 'form',
    constants: {},
    fields: { clientRef: 'reqid', operator: 'opcode', subscriber: 'number', amount: 'amt', circle: 'circle' },
  },
  status: { method: 'POST', path: '/api/status', encoding: 'form', constants: {}, fields: { clientRef: 'reqid' } },
  response: {
    format: 'json',
    fields: {
      status: 'result.code',
      providerTxnId: 'data.txn_id',
      operatorRef: 'data.opr_ref',
      errorCode: 'result.err',
      message: 'result.text',
    },
    codes: { success: ['00'], pending: ['01'], failed: ['99'], reversed: ['04'] },
    subscriberFaults: ['101', '102'],
    callErrorCodes: ['301', '302'],
    duplicateCodes: [],
    notFound: { httpStatuses: [], errorCodes: ['105'], statusCodes: [] },
    unavailableHttpStatuses: [503],
  },
  callback: {
    format: 'form',
    fields: {
      clientRef: 'reqid',
      status: 'status',
      providerTxnId: 'txn_id',
      operatorRef: 'opr_ref',
      errorCode: 'err',
      message: 'msg',
    },
    signature: callbackSignature,
  },
};

export async function up(knex: Knex): Promise<void> {
  await knex('recharge_providers').insert([
    { name: 'alpha', definition: JSON.stringify(alpha) },
    { name: 'beta', definition: JSON.stringify(beta) },
  ]);
  await knex('recharge_routes').insert(
    OPERATORS.flatMap((operator) => [
      { operator, provider: 'alpha', priority: 1 },
      { operator, provider: 'beta', priority: 2 },
    ]),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex('recharge_providers').whereIn('name', ['alpha', 'beta']).delete();
}
