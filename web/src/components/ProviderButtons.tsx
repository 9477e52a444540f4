import { useEffect, useState } from 'preact/hooks';
import type { ProvidersResponse } from '../../../shared/contracts/auth';
import { api } from '../api';
import { currentReturnTo, providerHref } from '../auth-errors';

type Providers = ProvidersResponse['providers'];

/** The configured sign-in providers (none while loading, or when the server cannot say). */
export function useProviders(): Providers {
  const [providers, setProviders] = useState<Providers>([]);
  useEffect(() => {
    let live = true;
    api.providers().then(
      (r) => live && setProviders(r.providers),
      () => undefined, // offline, or an older server: the password form alone
    );
    return () => {
      live = false;
    };
  }, []);
  return providers;
}

/** "Continue with Google / Microsoft": plain links, the whole flow is top-level navigation. */
export function ProviderButtons() {
  const providers = useProviders();
  if (!providers.length) return null;
  const returnTo = currentReturnTo();
  return (
    <div class="auth-providers" style={{ display: 'flex', flexDirection: 'column', gap: '10px' }}>
      {providers.map((p) => (
        <a key={p.id} class="button button-secondary button-block" href={providerHref(p.id, returnTo)}>
          Continue with {p.name}
        </a>
      ))}
      <p class="muted" style={{ margin: '6px 0', textAlign: 'center', fontSize: '14px' }}>
        or with your email
      </p>
    </div>
  );
}
