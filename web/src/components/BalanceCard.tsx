import { formatDollars, formatNumber } from '../format';

/** The balance as the billing pages show it: credits, and what they are worth. */
export function BalanceCard({ credits }: { credits: number }) {
  return (
    <div class="balance-card">
      <div class="balance-card-label">Your balance</div>
      <div class="balance-card-value">
        {formatNumber(credits)} <span>credits</span>
      </div>
      <div class="balance-card-dollars">{formatDollars(credits)}</div>
    </div>
  );
}
