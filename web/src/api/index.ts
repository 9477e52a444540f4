import { createApiClient } from './client';

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** The app's single client. A 401 anywhere means the session ended (expired, signed out elsewhere). */
export const api = createApiClient({
  onUnauthenticated: () => unauthenticatedListeners.forEach((listener) => listener()),
});

export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export { ApiError, isApiError, type StreamEnd } from './client';
