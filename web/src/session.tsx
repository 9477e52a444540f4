import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import type { User } from '../../shared/contracts/auth';
import { api, isApiError, onUnauthenticated } from './api';

export type SessionState =
  { status: 'loading' } | { status: 'signed-out'; error?: string } | { status: 'signed-in'; user: User };

export interface Session {
  state: SessionState;
  signIn: (email: string, password: string) => Promise<void>;
  signUp: (email: string, password: string, name?: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** Re-reads the user (the balance changes after every reply and purchase). */
  refresh: () => Promise<User | null>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const { user } = await api.session();
      setState({ status: 'signed-in', user });
      return user;
    } catch (err) {
      if (isApiError(err) && err.status === 401) {
        setState({ status: 'signed-out' });
        return null;
      }
      // Offline or the API is down: keep what we know rather than signing the user out.
      setState((s) => (s.status === 'loading' ? { status: 'signed-out', error: (err as Error).message } : s));
      return null;
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onUnauthenticated(() =>
      setState({ status: 'signed-out', error: 'Your session ended. Sign in again.' }),
    );
  }, [refresh]);

  const session = useMemo<Session>(
    () => ({
      state,
      refresh,
      async signIn(email, password) {
        const user = await api.login({ email, password });
        setState({ status: 'signed-in', user });
      },
      async signUp(email, password, name) {
        const user = await api.register({ email, password, ...(name ? { name } : {}) });
        setState({ status: 'signed-in', user });
      },
      async signOut() {
        try {
          await api.logout();
        } finally {
          setState({ status: 'signed-out' });
        }
      },
    }),
    [state, refresh],
  );

  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** For screens that only render when signed in. */
export function useUser(): User {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useUser while signed out');
  return state.user;
}
