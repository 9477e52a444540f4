import { useEffect, useState } from 'preact/hooks';

/**
 * Which error codes make Retry worth offering (`retryableCodes` in the shared contracts). The
 * contracts module carries zod, so it is loaded on demand, in the same chunk as the stream parser
 * (already fetched by the time a reply can have failed).
 */
let codes: ReadonlySet<string> | undefined;
let pending: Promise<ReadonlySet<string>> | undefined;

export function loadRetryableCodes(): Promise<ReadonlySet<string>> {
  pending ??= import('../../../shared/contracts/errors').then(
    (m) => (codes = new Set<string>(m.retryableCodes)),
    (err: unknown) => {
      pending = undefined;
      throw err;
    },
  );
  return pending;
}

/**
 * Whether a failed reply with this error code can be retried: a failure without a code (an older
 * server) can; undefined while the list is loading.
 */
export function useRetryable(code: string | undefined | null): boolean | undefined {
  const [known, setKnown] = useState(codes);
  useEffect(() => {
    if (known || code == null) return;
    let live = true;
    loadRetryableCodes().then(
      (c) => live && setKnown(c),
      () => live && setKnown(new Set([code])),
    );
    return () => {
      live = false;
    };
  }, [known, code]);
  if (code == null) return true;
  return known ? known.has(code) : undefined;
}
