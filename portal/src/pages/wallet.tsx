import { useMe } from '../app';
import { useI18n } from '../i18n';
import { Loaded, Money } from '../ui';

export function WalletPage() {
  const { t } = useI18n();
  const { wallet } = useMe();
  return (
    <Loaded state={wallet}>
      {(w) => (
        <dl className="balances" data-testid="wallet">
          <div>
            <dt>{t('balance')}</dt>
            <dd data-testid="balance">
              <Money paise={w.balance} />
            </dd>
          </div>
          <div>
            <dt>{t('held')}</dt>
            <dd data-testid="held">
              <Money paise={w.held} />
            </dd>
          </div>
          <div>
            <dt>{t('available')}</dt>
            <dd data-testid="available">
              <Money paise={w.available} />
            </dd>
          </div>
        </dl>
      )}
    </Loaded>
  );
}
