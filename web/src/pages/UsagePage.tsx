import { useEffect, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import { api, isApiError } from '../api';
import type { LedgerEntry, UsageResponse } from '../../../shared/contracts/billing';
import type { FeedbackSummaryResponse } from '../../../shared/contracts/feedback';
import { LinkedAccounts } from '../components/LinkedAccounts';
import { shortModelName } from '../components/ModelPicker';
import { formatCompact, formatCredits, formatDate, formatDollars, formatNumber } from '../format';
import { Link } from '../router';

const PERIODS = [7, 30, 90] as const;
const DAY_MS = 86_400_000;

/** Every day of the period, oldest first, with 0 for days without usage (the API lists only days with some). */
function fillDays(byDay: UsageResponse['byDay'], days: number): { date: string; credits: number }[] {
  const credits = new Map(byDay.map((d) => [d.date.slice(0, 10), d.credits]));
  const today = Date.now();
  return Array.from({ length: days }, (_, i) => {
    const date = new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10);
    return { date, credits: credits.get(date) ?? 0 };
  });
}

const dayLabel = (date: string) =>
  new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });

function DailyChart({ byDay, days }: { byDay: UsageResponse['byDay']; days: number }) {
  const series = fillDays(byDay, days);
  const max = Math.max(...series.map((d) => d.credits), 1);
  const total = series.reduce((n, d) => n + d.credits, 0);
  const first = series[0];
  const last = series[series.length - 1];
  if (total === 0) return <p class="muted">No credits spent in the last {days} days.</p>;
  return (
    <figure class="chart">
      <div
        class="chart-plot"
        role="img"
        aria-label={`Credits used per day over the last ${days} days: ${formatNumber(total)} in total, at most ${formatNumber(max)} in one day.`}
      >
        <div class="chart-gridline" style={{ bottom: '100%' }}>
          <span>{formatCompact(max)}</span>
        </div>
        <div class="chart-gridline" style={{ bottom: '50%' }}>
          <span>{formatCompact(Math.round(max / 2))}</span>
        </div>
        <div class="chart-bars">
          {series.map((d) => (
            <div
              key={d.date}
              class="chart-bar-slot"
              title={`${dayLabel(d.date)}: ${formatCredits(d.credits)}`}
            >
              <div class="chart-bar" style={{ height: `${(d.credits / max) * 100}%` }} />
            </div>
          ))}
        </div>
      </div>
      <figcaption class="chart-axis">
        <span>{first && dayLabel(first.date)}</span>
        <span>{last && dayLabel(last.date)}</span>
      </figcaption>
      <details class="chart-table">
        <summary>Show as a table</summary>
        <table class="data-table">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" class="num">
                Credits
              </th>
            </tr>
          </thead>
          <tbody>
            {series
              .filter((d) => d.credits > 0)
              .map((d) => (
                <tr key={d.date}>
                  <td>{dayLabel(d.date)}</td>
                  <td class="num">{formatNumber(d.credits)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function ModelTable({
  rows,
  modelsById,
}: {
  rows: UsageResponse['byModel'];
  modelsById: Map<string, Model>;
}) {
  const sorted = [...rows].sort((a, b) => b.credits - a.credits || b.replies - a.replies);
  return (
    <div class="table-scroll">
      <table class="data-table">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" class="num">
              Replies
            </th>
            <th scope="col" class="num">
              Prompt tokens
            </th>
            <th scope="col" class="num">
              Reply tokens
            </th>
            <th scope="col" class="num">
              Credits
            </th>
            <th scope="col" class="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => {
            const model = modelsById.get(r.model);
            return (
              <tr key={r.model}>
                <th scope="row" title={r.model}>
                  {model ? shortModelName(model) : r.model}
                </th>
                <td class="num">{formatNumber(r.replies)}</td>
                <td class="num">{formatNumber(r.promptTokens)}</td>
                <td class="num">{formatNumber(r.completionTokens)}</td>
                <td class="num">{formatNumber(r.credits)}</td>
                <td class="num">{formatDollars(r.credits)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const KIND_LABELS: Record<LedgerEntry['kind'], string> = {
  purchase: 'Purchase',
  usage: 'Usage',
  refund: 'Refund',
  grant: 'Grant',
  adjustment: 'Adjustment',
};

function Ledger() {
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'unavailable'>('loading');

  const load = (from: string | null) => {
    api.ledger(from, 20).then(
      (page) => {
        setEntries((old) => (from ? [...old, ...page.entries] : page.entries));
        setCursor(page.nextCursor);
        setState('ready');
      },
      () => setState((s) => (s === 'loading' ? 'unavailable' : s)),
    );
  };
  useEffect(() => load(null), []);

  if (state === 'loading') return <div class="page-state" aria-busy="true" aria-label="Loading activity" />;
  if (state === 'unavailable') return <p class="muted">Account activity is not available yet.</p>;
  if (entries.length === 0) return <p class="muted">No activity yet.</p>;
  return (
    <>
      <div class="table-scroll">
        <table class="data-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col" class="num">
                Credits
              </th>
              <th scope="col" class="num">
                Balance after
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{formatDate(e.createdAt)}</td>
                <td>
                  {KIND_LABELS[e.kind]}
                  {e.receiptUrl && /^https?:\/\//.test(e.receiptUrl) && (
                    <>
                      {' · '}
                      <a href={e.receiptUrl} target="_blank" rel="noopener noreferrer">
                        Receipt
                        <span class="visually-hidden"> for the purchase of {formatDate(e.createdAt)}</span>
                      </a>
                    </>
                  )}
                </td>
                <td class={e.credits < 0 ? 'num is-negative' : 'num is-positive'}>
                  {e.credits > 0 ? '+' : ''}
                  {formatNumber(e.credits)}
                </td>
                <td class="num">{formatNumber(e.balanceAfter)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor && (
        <button type="button" class="button button-secondary" onClick={() => load(cursor)}>
          Show more
        </button>
      )}
    </>
  );
}

/** Thumbs up and down given to replies, by the model that wrote them. */
function FeedbackTable({ days, modelsById }: { days: number; modelsById: Map<string, Model> }) {
  const [rows, setRows] = useState<FeedbackSummaryResponse['byModel'] | null>(null);
  useEffect(() => {
    let live = true;
    api.feedbackSummary(days).then(
      (r) => live && setRows(r.byModel),
      () => live && setRows([]),
    );
    return () => {
      live = false;
    };
  }, [days]);
  if (!rows) return <div class="page-state" aria-busy="true" aria-label="Loading ratings" />;
  if (!rows.length) return <p class="muted">No replies rated in this period.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" class="num">
              Good
            </th>
            <th scope="col" class="num">
              Bad
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const model = modelsById.get(r.model);
            return (
              <tr key={r.model}>
                <th scope="row" title={r.model}>
                  {model ? shortModelName(model) : r.model}
                </th>
                <td class="num">{formatNumber(r.up)}</td>
                <td class="num">{formatNumber(r.down)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export default function UsagePage({ modelsById }: { modelsById: Map<string, Model> }) {
  const [days, setDays] = useState<number>(30);
  const [usage, setUsage] = useState<UsageResponse | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    api.usage(days).then(
      (u) => live && setUsage(u),
      (err: unknown) =>
        live &&
        setError(
          isApiError(err, 'not_found')
            ? 'Usage reports are not available on this server yet.'
            : (err as Error).message,
        ),
    );
    return () => {
      live = false;
    };
  }, [days]);

  const total = usage?.byModel.reduce((n, r) => n + r.credits, 0) ?? 0;
  const replies = usage?.byModel.reduce((n, r) => n + r.replies, 0) ?? 0;

  return (
    <div class="page">
      <div class="page-head">
        <h1 class="page-title">Usage</h1>
        <div class="segmented" role="group" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p} type="button" aria-pressed={days === p} onClick={() => setDays(p)}>
              {p} days
            </button>
          ))}
        </div>
      </div>
      {error && (
        <div class="notice notice-info" role="status">
          {error}
        </div>
      )}
      {!error && !usage && <div class="page-state" aria-busy="true" aria-label="Loading usage" />}
      {usage && (
        <>
          <div class="stat-row">
            <div class="stat">
              <div class="stat-label">Spent</div>
              <div class="stat-value">{formatNumber(total)}</div>
              <div class="stat-note">credits · {formatDollars(total)}</div>
            </div>
            <div class="stat">
              <div class="stat-label">Replies</div>
              <div class="stat-value">{formatNumber(replies)}</div>
              <div class="stat-note">in the last {days} days</div>
            </div>
          </div>
          <section class="page-section" aria-labelledby="usage-daily">
            <h2 id="usage-daily" class="section-title">
              Credits per day
            </h2>
            <DailyChart byDay={usage.byDay} days={days} />
          </section>
          <section class="page-section" aria-labelledby="usage-models">
            <h2 id="usage-models" class="section-title">
              By model
            </h2>
            {usage.byModel.length ? (
              <ModelTable rows={usage.byModel} modelsById={modelsById} />
            ) : (
              <p class="muted">
                No replies in this period. <Link href="/">Start a chat</Link>.
              </p>
            )}
            <p>
              <a class="button button-secondary button-small" href={api.usageCsvUrl(days)} download>
                Download CSV (one row per reply, last {days} days)
              </a>
            </p>
          </section>
          <section class="page-section" aria-labelledby="usage-feedback">
            <h2 id="usage-feedback" class="section-title">
              Ratings by model
            </h2>
            <FeedbackTable days={days} modelsById={modelsById} />
          </section>
        </>
      )}
      <section class="page-section" aria-labelledby="usage-activity">
        <h2 id="usage-activity" class="section-title">
          Account activity
        </h2>
        <Ledger />
      </section>
      <LinkedAccounts />
    </div>
  );
}
