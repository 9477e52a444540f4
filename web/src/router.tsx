/**
 * History routing without a library: the app has a handful of routes and the local host (and the
 * storage account's error document in Azure) answers every client path with index.html.
 */
import type { AnchorHTMLAttributes } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'chat'; conversationId: string | null }
  | { name: 'buy-credits' }
  | { name: 'billing-success' }
  | { name: 'billing-cancel' }
  | { name: 'usage' }
  | { name: 'settings' }
  | { name: 'documents' }
  /** A shared chat, public: shown signed in or not. */
  | { name: 'share'; shareId: string }
  | { name: 'not-found' };

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'chat', conversationId: null };
  const chat = /^\/c\/([^/]+)$/.exec(path);
  if (chat?.[1]) return { name: 'chat', conversationId: decodeURIComponent(chat[1]) };
  if (path === '/billing') return { name: 'buy-credits' };
  if (path === '/billing/success') return { name: 'billing-success' };
  if (path === '/billing/cancel') return { name: 'billing-cancel' };
  if (path === '/usage') return { name: 'usage' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/documents') return { name: 'documents' };
  const share = /^\/s\/([^/]+)$/.exec(path);
  if (share?.[1]) return { name: 'share', shareId: decodeURIComponent(share[1]) };
  return { name: 'not-found' };
}

/** Where to go once signed in (a shared chat's "Sign in to continue"), in sessionStorage. */
export const RETURN_TO_KEY = 'gm.returnTo';

export const conversationPath = (id: string) => `/c/${encodeURIComponent(id)}`;

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
window.addEventListener('popstate', notify);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

export function usePathname(): string {
  const [pathname, setPathname] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPathname(location.pathname);
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return pathname;
}

type LinkProps = AnchorHTMLAttributes & { href: string };

/** An ordinary link (middle-click and ⌘-click still open a tab) that navigates in place otherwise. */
export function Link({ href, onClick, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={href}
      onClick={(event) => {
        onClick?.(event);
        if (event.defaultPrevented || event.button !== 0) return;
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}
