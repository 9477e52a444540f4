import { useEffect, useState } from 'preact/hooks';
import { api, isApiError } from '../api';
import type { CreditPackage } from '../../../shared/contracts/billing';
import { CREDITS_PER_DOLLAR, formatDollars, formatMoney, formatNumber } from '../format';
import { BalanceCard } from '../components/BalanceCard';
import { Link } from '../router';
import { useUser } from '../session';

type Load =
  | { state: 'loading' }
  | { state: 'ready'; packages: CreditPackage[]; checkoutEnabled: boolean }
  | { state: 'unavailable'; message: string };

/** Billing may be missing (an older API: 404) or switched off (no Stripe keys): say which, calmly. */
function unavailableMessage(err: unknown): string {
  if (isApiError(err, 'not_found')) return 'Buying credits is not available on this server yet.';
  if (isApiError(err, 'not_configured'))
    return 'Card payments are not set up on this server, so credits cannot be bought here.';
  return isApiError(err) ? err.message : 'The credit packages could not be loaded.';
}

function PackageCard({
  pkg,
  enabled,
  busy,
  onBuy,
}: {
  pkg: CreditPackage;
  enabled: boolean;
  busy: boolean;
  onBuy: () => void;
}) {
  const listValue = pkg.credits / CREDITS_PER_DOLLAR;
  // Credits are priced in dollars; a bonus is only meaningful for a package sold in dollars.
  const bonus =
    pkg.priceCents > 0 && pkg.currency.toLowerCase() === 'usd'
      ? Math.round((listValue * 100 * 100) / pkg.priceCents - 100)
      : 0;
  return (
    <li class="package-card">
      <div class="package-name">
        {pkg.name}
        {pkg.firstPurchaseOnly && <span class="badge badge-accent">First purchase</span>}
      </div>
      <div class="package-credits">
        <strong>{formatNumber(pkg.credits)}</strong> credits
      </div>
      <div class="package-price">{formatMoney(pkg.priceCents, pkg.currency)}</div>
      <div class="package-note">
        {bonus > 0 ? `${bonus}% extra credit` : `Worth ${formatDollars(pkg.credits)} of usage`}
      </div>
      <button
        type="button"
        class="button button-primary button-block"
        disabled={!enabled || busy}
        onClick={onBuy}
        aria-label={`Buy ${pkg.name}: ${formatNumber(pkg.credits)} credits for ${formatMoney(pkg.priceCents, pkg.currency)}`}
      >
        {busy ? 'Opening checkout…' : 'Buy'}
      </button>
    </li>
  );
}

export default function BuyCreditsPage() {
  const user = useUser();
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [buying, setBuying] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.billingPackages().then(
      (r) => setLoad({ state: 'ready', packages: r.packages, checkoutEnabled: r.checkoutEnabled }),
      (err: unknown) => setLoad({ state: 'unavailable', message: unavailableMessage(err) }),
    );
  }, []);

  const buy = async (pkg: CreditPackage) => {
    setBuying(pkg.id);
    setError(null);
    try {
      const { url } = await api.checkout(pkg.id);
      // Stripe Checkout is a page of its own; it returns to /billing/success or /billing/cancel.
      location.href = url;
    } catch (err) {
      setError(unavailableMessage(err));
      setBuying(null);
    }
  };

  return (
    <div class="page">
      <h1 class="page-title">Buy credits</h1>
      <BalanceCard credits={user.credits} />
      <p class="page-lead">
        Credits pay for replies, to the token: 100,000 credits = $1. Free models cost nothing.{' '}
        <Link href="/usage">See what you have used</Link>.
      </p>
      {load.state === 'loading' && <div class="page-state" aria-busy="true" aria-label="Loading packages" />}
      {load.state === 'unavailable' && (
        <div class="notice notice-info" role="status">
          {load.message}
        </div>
      )}
      {load.state === 'ready' && (
        <>
          {!load.checkoutEnabled && (
            <div class="notice notice-info" role="status">
              Card payments are not set up on this server, so credits cannot be bought here.
            </div>
          )}
          {error && (
            <div class="notice notice-error" role="alert">
              {error}
            </div>
          )}
          <ul class="package-grid">
            {load.packages.map((pkg) => (
              <PackageCard
                key={pkg.id}
                pkg={pkg}
                enabled={load.checkoutEnabled}
                busy={buying === pkg.id}
                onBuy={() => void buy(pkg)}
              />
            ))}
          </ul>
          <p class="page-footnote">
            Payments are handled by Stripe. You will come back here when you are done.
          </p>
        </>
      )}
    </div>
  );
}
