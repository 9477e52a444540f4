/**
 * Stripe's v1 request encoding: `application/x-www-form-urlencoded` with bracket paths, as the
 * `stripe` library writes it (`line_items[0][price_data][unit_amount]=500`, `metadata[userId]=u1`).
 * Every leaf stays a string: the wire has no numbers or booleans, so the receiver decides.
 */

export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export class FormError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

// Keys that would reach Object.prototype when assigned; no Stripe parameter is called that.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const KEY_RE = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const match = KEY_RE.exec(key);
    if (!match?.[1]) throw new FormError(`Invalid parameter name: ${key}`, key);
    const path = [match[1], ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '')];
    assign(root, path, value, key);
  }
  return Object.fromEntries(Object.entries(root).map(([k, v]) => [k, toArrays(v, k)]));
}

function assign(root: FormObject, path: string[], value: string, key: string): void {
  let node = root;
  path.forEach((segment, i) => {
    // `a[]=x` (qs "brackets" style) appends; the stripe library itself always writes indices.
    const name = segment === '' ? String(Object.keys(node).length) : segment;
    if (FORBIDDEN.has(name)) throw new FormError(`Invalid parameter name: ${key}`, key);
    const existing = node[name];
    if (i === path.length - 1) {
      if (existing !== undefined && typeof existing !== 'string') {
        throw new FormError(`Invalid string: ${key} is also used as a hash`, key);
      }
      node[name] = value;
      return;
    }
    if (existing === undefined) {
      const child: FormObject = {};
      node[name] = child;
      node = child;
    } else if (typeof existing === 'string' || Array.isArray(existing)) {
      throw new FormError(`Invalid hash: ${key} is also used as a string`, key);
    } else {
      node = existing;
    }
  });
}

/** `{ "0": a, "1": b }` becomes `[a, b]`, except under `metadata`, whose keys are the caller's own. */
function toArrays(value: FormValue, key: string): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const entries = Object.entries(value).map(([k, v]) => [k, toArrays(v, k)] as const);
  // Object.entries lists integer-like keys first and ascending, so this also rejects gaps.
  const isList = entries.length > 0 && entries.every(([k], i) => k === String(i));
  if (isList && key !== 'metadata') return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}
