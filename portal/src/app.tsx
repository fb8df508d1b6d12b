import { createContext, useContext, useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import { call, clearSession, hasSession, onSessionChange, sessionUserId, type Reply } from './api/client';
import { useI18n, type Key, type Lang } from './i18n';
import { ErrorText, Loading, Money, useAsync, type Async } from './ui';
import { SignIn } from './pages/sign-in';
import { WalletPage } from './pages/wallet';
import { StatementPage } from './pages/statement';
import { RechargePage } from './pages/recharge';
import { HistoryPage } from './pages/history';
import { FundsPage } from './pages/funds';
import { CommissionPage } from './pages/commission';
import { KycPage } from './pages/kyc';
import { MpinPage } from './pages/mpin';
import { DownlinePage } from './pages/downline';
import { ApprovalsPage } from './pages/approvals';
import { SupportPage } from './pages/support';
import { AdminPage } from './pages/admin';
import { ConfigPage } from './pages/config';

export type User = Reply<'getUsersById'>;
export type Wallet = Reply<'getWalletsByUserId'>;

interface Me {
  user: User;
  wallet: Async<Wallet>;
}

const MeCtx = createContext<Me | undefined>(undefined);

/** The signed-in user and its wallet (every page below the sign-in has one). */
export function useMe(): Me {
  const me = useContext(MeCtx);
  if (!me) throw new Error('useMe outside the signed-in app');
  return me;
}

function usePath(): [string, (to: string) => void] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const go = (to: string) => {
    history.pushState(null, '', to);
    setPath(to);
    scrollTo(0, 0);
  };
  return [path, go];
}

const NavCtx = createContext<(to: string) => void>(() => undefined);

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  const go = useContext(NavCtx);
  const onClick = (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    go(to);
  };
  return (
    <a href={to} onClick={onClick} className={className} aria-current={location.pathname === to ? 'page' : undefined}>
      {children}
    </a>
  );
}

interface PageDef {
  path: string;
  title: Key;
  roles?: string[];
  render: () => ReactNode;
}

const upline = ['distributor', 'master_distributor', 'admin'];

/** The menu: a page shows for the roles listed (every role when none). */
const pages: PageDef[] = [
  { path: '/', title: 'wallet', render: () => <WalletPage /> },
  { path: '/recharge', title: 'recharge', roles: ['retailer'], render: () => <RechargePage /> },
  { path: '/history', title: 'history', roles: ['retailer'], render: () => <HistoryPage /> },
  { path: '/statement', title: 'statement', render: () => <StatementPage /> },
  {
    path: '/funds',
    title: 'funds',
    roles: ['retailer', 'distributor', 'master_distributor'],
    render: () => <FundsPage />,
  },
  {
    path: '/commission',
    title: 'commissionReport',
    roles: ['retailer', 'distributor', 'master_distributor'],
    render: () => <CommissionPage />,
  },
  { path: '/downline', title: 'downline', roles: upline, render: () => <DownlinePage /> },
  { path: '/approvals', title: 'approvals', roles: upline, render: () => <ApprovalsPage /> },
  { path: '/downline-recharges', title: 'downlineRecharges', roles: upline, render: () => <HistoryPage /> },
  { path: '/support', title: 'support', roles: ['support', 'admin'], render: () => <SupportPage /> },
  { path: '/admin', title: 'admin', roles: ['admin'], render: () => <AdminPage /> },
  { path: '/config', title: 'config', roles: ['admin'], render: () => <ConfigPage /> },
  { path: '/kyc', title: 'kyc', render: () => <KycPage /> },
  { path: '/mpin', title: 'security', render: () => <MpinPage /> },
];

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang">
      <span className="sr-only">{t('language')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="en">English</option>
        <option value="hi">हिन्दी</option>
      </select>
    </label>
  );
}

function SignedIn({ userId, path, go }: { userId: string; path: string; go: (to: string) => void }) {
  const { t } = useI18n();
  const user = useAsync(() => call<'getUsersById'>('GET', `/v1/users/${userId}`), [userId]);
  const wallet = useAsync(() => call<'getWalletsByUserId'>('GET', `/v1/wallets/${userId}`), [userId, path]);
  const [signingOut, setSigningOut] = useState(false);
  const signOut = async () => {
    setSigningOut(true);
    try {
      await call('POST', '/v1/auth/logout');
    } catch {
      // the session ends here whatever the server says
    }
    clearSession();
    go('/');
  };
  const role = user.data?.role;
  const mine = pages.filter((p) => !p.roles || (role !== undefined && p.roles.includes(role)));
  const page = mine.find((p) => p.path === path);
  useTitle(!user.data ? t('loading') : page ? t(page.title) : t('notFound'));
  if (user.error) return <ErrorText error={user.error} onRetry={user.reload} />;
  if (!user.data) return <Loading />;
  return (
    <MeCtx.Provider value={{ user: user.data, wallet }}>
      <header className="top">
        <strong className="brand">{t('appName')}</strong>
        <span className="who">
          {user.data.name} · {user.data.role.replace('_', ' ')}
        </span>
        {wallet.data && (
          <span className="top-balance" aria-label={t('available')}>
            <Money paise={wallet.data.available} />
          </span>
        )}
        <LanguageSwitch />
        <button type="button" className="link" onClick={() => void signOut()} disabled={signingOut}>
          {t('signOut')}
        </button>
      </header>
      <nav aria-label={t('menu')}>
        <ul>
          {mine.map((p) => (
            <li key={p.path}>
              <Link to={p.path}>{t(p.title)}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <h1>{page ? t(page.title) : t('notFound')}</h1>
        {page ? page.render() : <Link to="/">{t('home')}</Link>}
      </main>
    </MeCtx.Provider>
  );
}

function useTitle(title: string) {
  const { t } = useI18n();
  useEffect(() => {
    document.title = `${title} · ${t('appName')}`;
  }, [title, t]);
}

export function App() {
  const [path, go] = usePath();
  const [signedIn, setSignedIn] = useState(hasSession());
  useEffect(() => onSessionChange(() => setSignedIn(hasSession())), []);
  const userId = signedIn ? sessionUserId() : undefined;
  return (
    <NavCtx.Provider value={go}>
      {userId ? (
        <SignedIn key={userId} userId={userId} path={path} go={go} />
      ) : (
        <>
          <header className="top">
            <strong className="brand">Tijori</strong>
            <LanguageSwitch />
          </header>
          <main>
            <SignIn />
          </main>
        </>
      )}
    </NavCtx.Provider>
  );
}
