import type { ProviderDefinitionInput } from '../../../src/providers/recharge/definition';

/** A JSON provider with a header and a parameter credential, served at `{testBase}/p`. */
export function jsonDefinition(overrides: Partial<ProviderDefinitionInput> = {}): ProviderDefinitionInput {
  return {
    baseUrl: '{testBase}/p',
    credentials: [
      { header: 'X-Api-Key', env: 'PROVIDER_T_KEY' },
      { param: 'token', env: 'PROVIDER_T_TOKEN' },
    ],
    operators: { JIO: 'J1', AIRTEL: 'A1' },
    amount: { unit: 'paise', format: 'integer' },
    submit: {
      method: 'POST',
      path: '/recharge',
      encoding: 'json',
      fields: { clientRef: 'ref', operator: 'op', subscriber: 'number', amount: 'amount', circle: 'circle' },
    },
    status: { method: 'GET', path: '/status/{clientRef}', encoding: 'query' },
    response: {
      fields: {
        status: 'status',
        providerTxnId: 'data.txn',
        operatorRef: 'data.opref',
        errorCode: 'error',
        message: 'msg',
      },
      codes: { success: ['SUCCESS'], pending: ['PENDING'], failed: ['FAILED'], reversed: ['REVERSED'] },
      subscriberFaults: ['INVALID_NUMBER'],
      callErrorCodes: ['AUTH'],
      duplicateCodes: ['DUP_REF'],
      notFound: { errorCodes: ['NO_TXN'] },
    },
    callback: {
      format: 'json',
      fields: { clientRef: 'ref', status: 'status', operatorRef: 'data.opref', errorCode: 'error', message: 'msg' },
      signature: { header: 'X-Signature', secretEnv: 'PROVIDER_T_CALLBACK' },
    },
    ...overrides,
  };
}
