import { useState, type FormEvent } from 'react';
import { call, newKey, type Reply } from '../api/client';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';
import { parseRupees } from '../money';
import { ErrorText, Field, Loaded, Money, SubmitButton, useAction, useAsync } from '../ui';

type Topup = Reply<'getTopupsById'>;

export function FundsPage() {
  const { t, lang } = useI18n();
  const [method, setMethod] = useState<'bank_transfer' | 'gateway'>('bank_transfer');
  const [amount, setAmount] = useState('');
  const [utr, setUtr] = useState('');
  const [key, setKey] = useState(newKey);
  const [result, setResult] = useState<Topup>();
  const action = useAction();
  const mine = useAsync(() => call<'getTopups'>('GET', '/v1/topups', { query: { limit: 20 } }), [result]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const paise = parseRupees(amount);
    if (paise === undefined || paise <= 0) {
      action.setError(t('invalidAmount'));
      return;
    }
    void action.run(async () => {
      const body = method === 'gateway' ? { method, amount: paise } : { method, amount: paise, utr: utr.trim() };
      const topup = await call<'postTopups'>('POST', '/v1/topups', { body, headers: { 'Idempotency-Key': key } });
      setResult(topup);
      setKey(newKey());
      setAmount('');
      setUtr('');
    });
  };

  return (
    <>
      <form className="card" onSubmit={submit}>
        <fieldset className="choice">
          <legend>{t('method')}</legend>
          <label>
            <input
              type="radio"
              name="method"
              value="bank_transfer"
              checked={method === 'bank_transfer'}
              onChange={() => setMethod('bank_transfer')}
            />
            {t('bankTransfer')}
          </label>
          <label>
            <input
              type="radio"
              name="method"
              value="gateway"
              checked={method === 'gateway'}
              onChange={() => setMethod('gateway')}
            />
            {t('gateway')}
          </label>
        </fieldset>
        <Field label={t('amountRupees')}>
          <input
            name="amount"
            inputMode="decimal"
            required
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        </Field>
        {method === 'bank_transfer' && (
          <Field label={t('utr')}>
            <input name="utr" required value={utr} onChange={(e) => setUtr(e.target.value)} />
          </Field>
        )}
        <ErrorText error={action.error} />
        <SubmitButton busy={action.busy}>{t('request')}</SubmitButton>
      </form>
      {result && (
        <div role="status" className="card">
          {result.paymentUrl ? (
            <a className="button" href={result.paymentUrl}>
              {t('payNow')} (<Money paise={result.amount} />)
            </a>
          ) : (
            <p>
              {t('requested')} <Money paise={result.amount} />
            </p>
          )}
        </div>
      )}
      <h2>{t('myRequests')}</h2>
      <Loaded state={mine}>
        {(l) =>
          l.items.length === 0 ? (
            <p>{t('noEntries')}</p>
          ) : (
            <ul className="rows">
              {l.items.map((tp) => (
                <li key={tp.id} className="row">
                  <div className="row-main">
                    <span>{formatDateTime(tp.createdAt, lang)}</span>
                    <Money paise={tp.amount} />
                    <span>{tp.method === 'gateway' ? t('gateway') : `${t('bankTransfer')} ${tp.utr ?? ''}`}</span>
                    <span className={`status status-${tp.status}`}>{tp.status.replace('_', ' ')}</span>
                    {tp.status === 'awaiting_payment' && tp.paymentUrl && <a href={tp.paymentUrl}>{t('payNow')}</a>}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </>
  );
}
