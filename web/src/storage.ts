/** localStorage that never throws: private modes and full quotas only lose the preference. */
export function readPreference(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writePreference(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // The choice still applies for this visit.
  }
}

/**
 * sessionStorage, for what belongs to this tab's visit (drafts, where to come back to): it
 * survives reloads and a trip to Stripe Checkout and back, not the closing of the tab.
 */
export function readSession(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writeSession(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Kept in memory for as long as the page is open.
  }
}
