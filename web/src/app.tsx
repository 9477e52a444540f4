import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Model } from '../../shared/contracts/models';
import { prefetchStreamParser } from './api/client';
import { AuthScreen } from './components/AuthScreen';
import { lastChatPath } from './chat/drafts';
import { ChatView } from './components/ChatView';
import { DemoBanner } from './components/DemoBanner';
import { BackIcon, Logo } from './components/icons';
import { ModelPicker } from './components/ModelPicker';
import { Sidebar } from './components/Sidebar';
import { TopBar } from './components/TopBar';
import { useConversationList } from './conversations/use-conversation-list';
import { lazyComponent } from './lazy';
import { defaultModelId, rememberModel, useModels } from './models/use-models';
import { Link, matchRoute, navigate, RETURN_TO_KEY, usePathname, type Route } from './router';
import { SessionProvider, useSession } from './session';
import { useShortcuts } from './shortcuts';
import { useMediaQuery } from './use-media-query';

// Pages other than the chat are separate chunks: the chat screen's first load stays small.
const BuyCreditsPage = lazyComponent(() => import('./pages/BuyCreditsPage'));
const BillingResultPage = lazyComponent(() => import('./pages/BillingResultPage'));
const UsagePage = lazyComponent(() => import('./pages/UsagePage'));
const SettingsPage = lazyComponent(() => import('./pages/SettingsPage'));
const SharePage = lazyComponent(() => import('./pages/SharePage'));
const ShortcutSheet = lazyComponent(() => import('./ShortcutSheet'));
const DocumentsPage = lazyComponent(() => import('./documents/DocumentsPage'));

const PAGE_TITLES: Partial<Record<Route['name'], string>> = {
  'buy-credits': 'Buy credits',
  'billing-success': 'Payment received',
  'billing-cancel': 'Payment cancelled',
  usage: 'Usage',
  settings: 'Settings',
  documents: 'Documents',
  'not-found': 'Page not found',
};

function NotFound() {
  return (
    <div class="page-state">
      <h1>Page not found</h1>
      <Link class="button button-secondary" href="/">
        Back to chat
      </Link>
    </div>
  );
}

function Shell() {
  const pathname = usePathname();
  const route = matchRoute(pathname);
  const list = useConversationList();
  const catalogue = useModels();
  const [modelId, setModelId] = useState<string | null>(null);
  const [imagesAttached, setImagesAttached] = useState(false);
  const drawer = useMediaQuery('(max-width: 768px)');
  const [drawerOpen, setDrawerOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const conversationId = route.name === 'chat' ? route.conversationId : null;
  const [shortcutSheet, setShortcutSheet] = useShortcuts();
  const online = useOnline();

  // Back to the shared chat the user signed in to continue.
  useEffect(() => {
    const back = sessionStorage.getItem(RETURN_TO_KEY);
    sessionStorage.removeItem(RETURN_TO_KEY);
    if (back && /^\/s\/[\w-]+$/.test(back)) navigate(back, { replace: true });
  }, []);

  // A new chat starts with the model last picked (or a sensible free one).
  useEffect(() => {
    if (catalogue.models.length && conversationId === null) setModelId(defaultModelId(catalogue.models));
  }, [catalogue.models, conversationId]);

  // The first message should not wait for the stream parser's chunk.
  useEffect(() => {
    if ('requestIdleCallback' in window) requestIdleCallback(() => prefetchStreamParser());
    else setTimeout(prefetchStreamParser, 1500);
  }, []);

  useEffect(() => setDrawerOpen(false), [pathname]);
  useEffect(() => {
    if (!drawer) setDrawerOpen(false);
  }, [drawer]);

  useEffect(() => {
    const title = PAGE_TITLES[route.name];
    if (title) document.title = `${title} · GloriaMundo`;
  }, [route.name]);

  const drawerOpenNow = useRef(drawerOpen);
  drawerOpenNow.current = drawerOpen;
  const closeDrawer = useCallback(() => {
    if (!drawerOpenNow.current) return;
    setDrawerOpen(false);
    // Focus goes back to the button that opened the drawer (once it is no longer inert).
    requestAnimationFrame(() => menuButton.current?.focus());
  }, []);

  const pickModel = useCallback((m: Model) => {
    rememberModel(m.id);
    setModelId(m.id);
  }, []);

  const model = modelId ? catalogue.byId.get(modelId) : undefined;

  let page;
  switch (route.name) {
    case 'chat':
      page = (
        <ChatView
          conversationId={route.conversationId}
          model={model}
          models={catalogue.models}
          modelsById={catalogue.byId}
          modelsError={catalogue.error}
          list={list}
          onModelFromConversation={setModelId}
          onPickModel={pickModel}
          onImagesChange={setImagesAttached}
        />
      );
      break;
    case 'buy-credits':
      page = <BuyCreditsPage />;
      break;
    case 'billing-success':
      page = <BillingResultPage outcome="success" />;
      break;
    case 'billing-cancel':
      page = <BillingResultPage outcome="cancel" />;
      break;
    case 'usage':
      page = <UsagePage modelsById={catalogue.byId} />;
      break;
    case 'settings':
      page = <SettingsPage models={catalogue.models} />;
      break;
    case 'documents':
      page = <DocumentsPage />;
      break;
    default:
      page = <NotFound />;
  }

  return (
    <div class={drawerOpen ? 'app-shell drawer-open' : 'app-shell'}>
      <a class="skip-link" href={route.name === 'chat' ? '#composer-input' : '#main'}>
        {route.name === 'chat' ? 'Skip to message box' : 'Skip to content'}
      </a>
      <Sidebar
        list={list}
        activeId={conversationId}
        drawer={drawer}
        open={drawerOpen}
        onClose={closeDrawer}
      />
      {drawer && drawerOpen && <div class="drawer-backdrop" onClick={closeDrawer} />}
      <div class="main-area" inert={drawer && drawerOpen}>
        {!online && (
          <div class="notice notice-warning offline-banner" role="status">
            You are offline. Replies and saving wait until the connection is back.
          </div>
        )}
        <DemoBanner />
        <TopBar
          drawer={drawer}
          drawerOpen={drawerOpen}
          onOpenDrawer={() => setDrawerOpen(true)}
          menuButtonRef={menuButton}
          onShowShortcuts={() => setShortcutSheet(true)}
        >
          {route.name === 'chat' ? (
            <ModelPicker
              models={catalogue.models}
              selected={model}
              loading={catalogue.loading}
              error={catalogue.error}
              onSelect={pickModel}
              needsVision={imagesAttached}
            />
          ) : (
            <Link class="back-link" href={lastChatPath()}>
              <BackIcon size={16} />
              Back to chat
            </Link>
          )}
        </TopBar>
        <main id="main" class="main-content" tabIndex={-1}>
          {page}
        </main>
      </div>
      {shortcutSheet && <ShortcutSheet onClose={() => setShortcutSheet(false)} />}
    </div>
  );
}

function Splash() {
  return (
    <div class="splash" aria-busy="true" aria-label="Loading GloriaMundo">
      <Logo size={48} />
    </div>
  );
}

/** navigator.onLine, kept current. */
function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/** The installed app opened without a network: the shell is cached, the account is not. */
function Offline({ onRetry }: { onRetry: () => void }) {
  return (
    <div class="offline-state">
      <main id="main" class="page-state">
        <Logo size={48} />
        <h1>You are offline</h1>
        <p>
          GloriaMundo needs a connection to sign you in and to chat. It reconnects by itself when the network
          is back.
        </p>
        <button type="button" class="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      </main>
    </div>
  );
}

function Gate() {
  const { state, refresh } = useSession();
  const online = useOnline();
  // Back online after an offline start: look for the session again.
  useEffect(() => {
    if (online && state.status === 'signed-out' && state.error) void refresh();
  }, [online]);
  const pathname = usePathname();
  const route = matchRoute(pathname);
  // A shared chat is public: it shows signed in or not, without the app around it.
  if (route.name === 'share') return <SharePage shareId={route.shareId} />;
  if (state.status === 'loading') return <Splash />;
  if (state.status === 'signed-out' && state.error && !online)
    return <Offline onRetry={() => void refresh()} />;
  if (state.status === 'signed-out') return <AuthScreen />;
  return <Shell />;
}

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}
