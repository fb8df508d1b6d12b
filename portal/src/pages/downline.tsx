import { useState, type FormEvent } from 'react';
import { ApiError, call, newKey } from '../api/client';
import { useMe, type User } from '../app';
import { useI18n } from '../i18n';
import { formatPaise, parseRupees } from '../money';
import { ErrorText, Field, Loaded, MobileInput, MpinField, Money, SubmitButton, useAction, useAsync } from '../ui';
import { stepUpThresholdPaise } from './recharge';

const childRoles: Record<string, string[]> = {
  admin: ['master_distributor', 'distributor', 'retailer', 'support'],
  master_distributor: ['distributor', 'retailer'],
  distributor: ['retailer'],
};

export function DownlinePage() {
  const { t } = useI18n();
  const { user } = useMe();
  const [round, setRound] = useState(0);
  const refresh = () => setRound((r) => r + 1);
  return (
    <>
      <section className="card">
        <h2>{t('downline')}</h2>
        <Children parentId={user.id} round={round} depth={0} />
      </section>
      <CreateUser parent={user} onCreated={refresh} />
      <TransferForm onDone={refresh} round={round} />
    </>
  );
}

function Children({ parentId, round, depth }: { parentId: string; round: number; depth: number }) {
  const { t } = useI18n();
  const kids = useAsync(async () => {
    const page = await call<'getUsers'>('GET', '/v1/users', { query: { parentId, limit: 100 } });
    const wallets = await Promise.all(
      page.items.map((u) => call<'getWalletsByUserId'>('GET', `/v1/wallets/${u.id}`).catch(() => undefined)),
    );
    return page.items.map((u, i) => ({ user: u, wallet: wallets[i] }));
  }, [parentId, round]);
  return (
    <Loaded state={kids}>
      {(items) =>
        items.length === 0 ? (
          depth === 0 ? (
            <p>{t('noEntries')}</p>
          ) : null
        ) : (
          <ul className="tree">
            {items.map(({ user, wallet }) => (
              <Node key={user.id} user={user} available={wallet?.available} round={round} depth={depth} />
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}

function Node({ user, available, round, depth }: { user: User; available?: number; round: number; depth: number }) {
  const [open, setOpen] = useState(false);
  const canHaveChildren = user.role !== 'retailer' && user.role !== 'support';
  return (
    <li>
      <div className="row-main" data-testid={`node-${user.mobile}`}>
        {canHaveChildren ? (
          <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? '▾' : '▸'} {user.name}
          </button>
        ) : (
          <span>{user.name}</span>
        )}
        <span>{user.role.replace('_', ' ')}</span>
        <span>{user.mobile}</span>
        {user.status !== 'active' && <span className="status">{user.status}</span>}
        {available !== undefined && <Money paise={available} />}
      </div>
      {open && <Children parentId={user.id} round={round} depth={depth + 1} />}
    </li>
  );
}

function CreateUser({ parent, onCreated }: { parent: User; onCreated: () => void }) {
  const { t } = useI18n();
  const roles = childRoles[parent.role] ?? [];
  const [role, setRole] = useState(roles[0] ?? 'retailer');
  const [name, setName] = useState('');
  const [mobile, setMobile] = useState('');
  const [created, setCreated] = useState<string>();
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(undefined);
    void action.run(async () => {
      const u = await call<'postUsers'>('POST', '/v1/users', {
        body: { role: role as User['role'], name: name.trim(), mobile: mobile.trim() },
      });
      setCreated(`${t('created')} ${u.name} (${u.mobile})`);
      setName('');
      setMobile('');
      onCreated();
    });
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>{t('createUser')}</h2>
      <Field label={t('role')}>
        <select name="role" value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r.replace('_', ' ')}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('name')}>
        <input name="name" required value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label={t('mobile')}>
        <MobileInput value={mobile} onChange={setMobile} />
      </Field>
      <ErrorText error={action.error} />
      {created && <p role="status">{created}</p>}
      <SubmitButton busy={action.busy}>{t('create')}</SubmitButton>
    </form>
  );
}

function TransferForm({ onDone, round }: { onDone: () => void; round: number }) {
  const { t } = useI18n();
  const { user, wallet } = useMe();
  const kids = useAsync(
    () => call<'getUsers'>('GET', '/v1/users', { query: { parentId: user.id, limit: 100 } }),
    [user.id, round],
  );
  const [to, setTo] = useState('');
  const [direction, setDirection] = useState<'down' | 'up'>('down');
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [mpin, setMpin] = useState('');
  const [askMpin, setAskMpin] = useState(false);
  const [key, setKey] = useState(newKey);
  const [done, setDone] = useState<string>();
  const action = useAction();
  const paise = parseRupees(amount);
  const needsMpin = askMpin || (paise !== undefined && paise > stepUpThresholdPaise);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    if (paise === undefined || paise <= 0) {
      action.setError(t('invalidAmount'));
      return;
    }
    void action.run(async () => {
      try {
        await call<'postTransfers'>('POST', '/v1/transfers', {
          headers: { 'Idempotency-Key': key, ...(needsMpin && mpin ? { 'X-MPIN': mpin } : {}) },
          body: {
            fromUserId: direction === 'down' ? user.id : to,
            toUserId: direction === 'down' ? to : user.id,
            amount: paise,
            ...(note.trim() ? { note: note.trim() } : {}),
          },
        });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'STEP_UP_REQUIRED') setAskMpin(true);
        throw err;
      }
      setDone(`${t('done')} ${formatPaise(paise)}`);
      setKey(newKey());
      setAmount('');
      setMpin('');
      wallet.reload();
      onDone();
    });
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>{t('transfer')}</h2>
      <fieldset className="choice">
        <legend>{t('method')}</legend>
        <label>
          <input type="radio" name="direction" checked={direction === 'down'} onChange={() => setDirection('down')} />
          {t('creditDown')}
        </label>
        <label>
          <input type="radio" name="direction" checked={direction === 'up'} onChange={() => setDirection('up')} />
          {t('pullBack')}
        </label>
      </fieldset>
      <Loaded state={kids}>
        {(k) => (
          <Field label={t('user')}>
            <select name="to" required value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">{t('choose')}</option>
              {k.items.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name} · {u.mobile}
                </option>
              ))}
            </select>
          </Field>
        )}
      </Loaded>
      <Field label={t('amountRupees')}>
        <input name="amount" inputMode="decimal" required value={amount} onChange={(e) => setAmount(e.target.value)} />
      </Field>
      <Field label={t('note')}>
        <input name="note" value={note} onChange={(e) => setNote(e.target.value)} />
      </Field>
      {needsMpin && <MpinField value={mpin} onChange={setMpin} />}
      <ErrorText error={action.error} />
      {done && <p role="status">{done}</p>}
      <SubmitButton busy={action.busy}>{t('transfer')}</SubmitButton>
    </form>
  );
}
