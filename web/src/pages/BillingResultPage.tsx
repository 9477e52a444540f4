import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatNumber } from '../format';
import { lastChatPath } from '../chat/drafts';
import { BalanceCard } from '../components/BalanceCard';
import { Link } from '../router';
import { useSession, useUser } from '../session';

/** Stripe's webhook grants the credits, usually within seconds of the redirect back here. */
const POLL_MS = 2000;
const POLL_FOR_MS = 30_000;
/** A purchase this recent is the one the visitor just paid for (when the URL does not say which). */
const RECENT_MS = 15 * 60_000;

/**
 * The credits of the purchase this page is the return from: Stripe sends the visitor back with
 * `?session_id=`, and the webhook's ledger entry is referenced `checkout:<session id>`.
 */
async function grantedPurchase(sessionId: string | null): Promise<number | null> {
  try {
    const { entries } = await api.ledger(null, 20);
    const purchase = sessionId
      ? entries.find((e) => e.kind === 'purchase' && e.reference === `checkout:${sessionId}`)
      : entries.find(
          (e) => e.kind === 'purchase' && Date.now() - new Date(e.createdAt).getTime() < RECENT_MS,
        );
    return purchase ? purchase.credits : null;
  } catch {
    return null;
  }
}

export default function BillingResultPage({ outcome }: { outcome: 'success' | 'cancel' }) {
  const session = useSession();
  const user = useUser();
  const [added, setAdded] = useState<number | null>(null);
  const [waiting, setWaiting] = useState(outcome === 'success');

  useEffect(() => {
    void session.refresh();
    if (outcome !== 'success') return;
    const sessionId = new URLSearchParams(location.search).get('session_id');
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout>;
    let live = true;
    const poll = async () => {
      const credits = await grantedPurchase(sessionId);
      if (!live) return;
      if (credits !== null) {
        setAdded(credits);
        setWaiting(false);
        void session.refresh();
        return;
      }
      if (Date.now() - started > POLL_FOR_MS) {
        setWaiting(false);
        void session.refresh();
        return;
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [outcome]);

  return (
    <div class="page page-narrow">
      {outcome === 'success' ? (
        <>
          <h1 class="page-title">Thank you!</h1>
          <p class="page-lead" role="status">
            {added !== null
              ? `${formatNumber(added)} credits were added to your balance.`
              : waiting
                ? 'Payment received. Your credits are on their way; this usually takes a few seconds.'
                : 'Payment received. Your credits will appear shortly; refresh this page if they have not.'}
          </p>
        </>
      ) : (
        <>
          <h1 class="page-title">Payment cancelled</h1>
          <p class="page-lead">Nothing was charged. You can buy credits whenever you like.</p>
        </>
      )}
      <BalanceCard credits={user.credits} />
      <div class="page-actions">
        <Link class="button button-primary" href={lastChatPath()}>
          Back to chat
        </Link>
        <Link class="button button-secondary" href="/billing">
          Buy credits
        </Link>
      </div>
    </div>
  );
}
