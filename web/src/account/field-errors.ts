/**
 * The server names the field of each invalid value ("lowBalanceCredits: The low-balance warning
 * cannot be negative. monthlySpendCapCredits: …", functions/platform/http.ts): split that message
 * into one sentence per field so each shows beside its input. Anything not about one of `fields`
 * is kept under `form`.
 */
export function fieldErrors<F extends string>(
  message: string,
  fields: readonly F[],
): Partial<Record<F | 'form', string>> {
  const names = fields.map((f) => f.replace(/[^\w]/g, '')).join('|');
  const parts = [...message.matchAll(new RegExp(`(?:^|\\s)(${names}): `, 'g'))];
  if (!parts.length) return { form: message } as Partial<Record<F | 'form', string>>;
  const out: Partial<Record<F | 'form', string>> = {};
  const before = message.slice(0, parts[0]!.index).trim();
  if (before) out.form = before;
  parts.forEach((p, i) => {
    const start = p.index + p[0].length;
    const end = i + 1 < parts.length ? parts[i + 1]!.index : message.length;
    const field = p[1] as F;
    const text = message.slice(start, end).trim();
    out[field] = out[field] ? `${out[field]} ${text}` : text;
  });
  return out;
}
