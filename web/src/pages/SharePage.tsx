import { useEffect, useState } from 'preact/hooks';
import type { PublicShare } from '../../../shared/contracts/shares';
import { api, isApiError } from '../api';
import { Logo } from '../components/icons';
import { MessageBoundary } from '../components/MessageBoundary';
import { Markdown } from '../markdown/Markdown';
import { conversationPath, Link, navigate, RETURN_TO_KEY } from '../router';
import { useSession } from '../session';
import { formatDate } from '../format';

/** The page must not hand its address (the share id) to any site it links to. */
function useNoReferrer() {
  useEffect(() => {
    const meta = document.createElement('meta');
    meta.name = 'referrer';
    meta.content = 'no-referrer';
    document.head.appendChild(meta);
    return () => meta.remove();
  }, []);
}

/**
 * A shared chat, read-only, for anyone with the link. Nothing here names its owner. Continuing it
 * copies it into the viewer's own account, and only when they ask.
 */
export default function SharePage({ shareId }: { shareId: string }) {
  useNoReferrer();
  const { state } = useSession();
  const [share, setShare] = useState<PublicShare | null>(null);
  /** 'gone' for a link that does not (or no longer) exist, else what went wrong. */
  const [problem, setProblem] = useState<string | null>(null);
  const [continuing, setContinuing] = useState(false);
  const [continueError, setContinueError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.publicShare(shareId).then(
      (r) => {
        if (!live) return;
        setShare(r.share);
        document.title = `${r.share.title ?? 'Shared chat'} · GloriaMundo`;
      },
      (err: unknown) => {
        if (!live) return;
        setProblem(isApiError(err, 'not_found') ? 'gone' : (err as Error).message);
        document.title = 'Shared chat not found · GloriaMundo';
      },
    );
    return () => {
      live = false;
    };
  }, [shareId]);

  const signedIn = state.status === 'signed-in';
  const continueChat = () => {
    if (!signedIn) {
      sessionStorage.setItem(RETURN_TO_KEY, `/s/${shareId}`);
      navigate('/');
      return;
    }
    setContinuing(true);
    setContinueError(null);
    api.continueShare(shareId).then(
      ({ conversation }) => navigate(conversationPath(conversation.id)),
      (err: unknown) => {
        setContinuing(false);
        setContinueError((err as Error).message);
      },
    );
  };

  return (
    <div class="share-page">
      <header class="share-head">
        <Link class="brand" href="/" aria-label="GloriaMundo home">
          <Logo size={26} />
          <span class="brand-name">GloriaMundo</span>
        </Link>
      </header>
      <main id="main" class="share-main">
        {!share && !problem && (
          <div class="page-state" aria-busy="true" aria-label="Loading the shared chat" />
        )}
        {problem === 'gone' && (
          <div class="page-state">
            <h1>Shared chat not found</h1>
            <p>This link does not exist, or whoever shared it has revoked it.</p>
            <Link class="button button-secondary" href="/">
              Go to GloriaMundo
            </Link>
          </div>
        )}
        {problem && problem !== 'gone' && (
          <div class="page-state" role="alert">
            <h1>The shared chat could not be loaded</h1>
            <p>{problem}</p>
          </div>
        )}
        {share && (
          <article class="share-article" aria-labelledby="share-title">
            <h1 id="share-title" class="share-title">
              {share.title ?? 'Shared chat'}
            </h1>
            <p class="muted share-meta">Shared conversation · {formatDate(share.createdAt)} · read-only</p>
            <div class="message-column share-messages">
              {share.messages.map((m, i) =>
                m.role === 'user' ? (
                  <section key={i} class="message message-user" aria-label="Question">
                    <h2 class="visually-hidden">Question</h2>
                    <div class="user-bubble">{m.content}</div>
                  </section>
                ) : (
                  <section key={i} class="message message-assistant" aria-label="Reply">
                    <h2 class="visually-hidden">Reply</h2>
                    <MessageBoundary text={m.content}>
                      <Markdown text={m.content} />
                    </MessageBoundary>
                    {m.model && <p class="reply-model share-model">{m.model}</p>}
                  </section>
                ),
              )}
            </div>
            <div class="share-actions">
              <button
                type="button"
                class="button button-primary"
                disabled={continuing}
                onClick={continueChat}
              >
                {signedIn
                  ? continuing
                    ? 'Copying…'
                    : 'Continue this chat'
                  : 'Sign in to continue this chat'}
              </button>
              <p class="muted">
                {signedIn
                  ? 'A copy goes into your own account; the shared chat does not change.'
                  : 'After you sign in, continuing puts a copy into your own account.'}
              </p>
              {continueError && (
                <p class="form-error" role="alert">
                  {continueError}
                </p>
              )}
            </div>
          </article>
        )}
      </main>
    </div>
  );
}
