import { useState } from 'preact/hooks';
import type { User } from '../../../shared/contracts/auth';
import { api } from '../api';
import { formatDollars } from '../format';
import { useSession } from '../session';
import { fieldErrors } from './field-errors';
import '../styles/settings.css';

const FIELDS = ['monthlySpendCapCredits', 'lowBalanceCredits'] as const;
type Field = (typeof FIELDS)[number];

const LABELS: Record<Field, { label: string; hint: string }> = {
  monthlySpendCapCredits: {
    label: 'Monthly spending cap (credits)',
    hint: 'A reply that would take this calendar month’s (UTC) spending past the cap is refused before anything is charged. Empty: no cap.',
  },
  lowBalanceCredits: {
    label: 'Warn me when my balance falls below (credits)',
    hint: 'The balance in the top bar turns into a warning under this. Empty: no warning.',
  },
};

const shown = (v: number | null) => (v === null ? '' : String(v));

/**
 * What the number typed means: empty is "none" (null); anything else goes to the server as a
 * number so its rule (whole, not negative) and its sentence decide, not a second copy of them here.
 */
const parse = (s: string): number | null => (s.trim() === '' ? null : Number(s));

/** The spending cap and the low-balance warning level (`PATCH /api/settings`), null = none. */
export function SpendingSettings({ user }: { user: User }) {
  const session = useSession();
  const [values, setValues] = useState<Record<Field, string>>({
    monthlySpendCapCredits: shown(user.monthlySpendCapCredits),
    lowBalanceCredits: shown(user.lowBalanceCredits),
  });
  const [errors, setErrors] = useState<Partial<Record<Field | 'form', string>>>({});
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState('');

  const submit = (e: Event) => {
    e.preventDefault();
    const body: Partial<Record<Field, number | null>> = {};
    for (const f of FIELDS) {
      const next = parse(values[f]);
      if (next !== user[f]) body[f] = next;
    }
    setErrors({});
    setSaved('');
    if (Object.keys(body).length === 0) {
      setSaved('Nothing to change.');
      return;
    }
    setBusy(true);
    api.updateSettings(body).then(
      ({ user: updated }) => {
        setBusy(false);
        setValues({
          monthlySpendCapCredits: shown(updated.monthlySpendCapCredits),
          lowBalanceCredits: shown(updated.lowBalanceCredits),
        });
        setSaved('Saved.');
        void session.refresh();
      },
      (err: unknown) => {
        setBusy(false);
        setErrors(fieldErrors((err as Error).message, FIELDS));
      },
    );
  };

  return (
    <section class="page-section" aria-labelledby="settings-spending">
      <h2 id="settings-spending" class="section-title">
        Spending
      </h2>
      <form class="settings-form" noValidate onSubmit={submit}>
        {FIELDS.map((f) => {
          const id = `settings-${f}`;
          const amount = parse(values[f]);
          const describedBy = [`${id}-hint`, errors[f] ? `${id}-error` : ''].filter(Boolean).join(' ');
          return (
            <div key={f} class="spending-field">
              <label for={id}>{LABELS[f].label}</label>
              <input
                id={id}
                type="number"
                inputMode="numeric"
                min={0}
                step={1}
                placeholder="None"
                value={values[f]}
                aria-invalid={errors[f] ? true : undefined}
                aria-describedby={describedBy}
                onInput={(e) => setValues({ ...values, [f]: e.currentTarget.value })}
              />
              <p id={`${id}-hint`} class="field-hint">
                {amount !== null && Number.isFinite(amount) && amount >= 0
                  ? `${formatDollars(amount)}. `
                  : ''}
                {LABELS[f].hint}
              </p>
              {errors[f] && (
                <p id={`${id}-error`} class="form-error" role="alert">
                  {errors[f]}
                </p>
              )}
            </div>
          );
        })}
        {errors.form && (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        )}
        <div class="form-actions">
          <span class="muted" role="status">
            {saved}
          </span>
          <button type="submit" class="button button-primary button-small" disabled={busy}>
            Save spending settings
          </button>
        </div>
      </form>
    </section>
  );
}
