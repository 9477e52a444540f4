import { useCallback, useRef, useState } from 'preact/hooks';
import { conversationPath } from '../router';
import { readSession, writeSession } from '../storage';

/** A new chat (no conversation yet) keeps its draft under this key. */
const NEW_CHAT = 'new';
const draftKey = (conversationId: string | null) => `gm.draft.${conversationId ?? NEW_CHAT}`;

export const readDraft = (conversationId: string | null) => readSession(draftKey(conversationId)) ?? '';

export function writeDraft(conversationId: string | null, text: string): void {
  writeSession(draftKey(conversationId), text ? text : null);
}

/** Puts text back into a conversation's draft without losing what is there already. */
export function restoreIntoDraft(conversationId: string | null, text: string): void {
  const current = readDraft(conversationId);
  writeDraft(conversationId, current.trim() ? `${text}\n\n${current}` : text);
}

/**
 * The composer's text for one conversation, kept in sessionStorage: switching conversations,
 * reloading, or buying credits and coming back finds it again.
 */
export type DraftUpdate = string | ((current: string) => string);

export function useDraft(conversationId: string | null): [string, (update: DraftUpdate) => void] {
  const [state, setState] = useState(() => ({ id: conversationId, text: readDraft(conversationId) }));
  // Another conversation opened: its own draft, read from storage (the state catches up on the
  // next change).
  const shown = state.id === conversationId ? state : { id: conversationId, text: readDraft(conversationId) };
  const current = useRef(shown);
  current.current = shown;
  const setDraft = useCallback((update: DraftUpdate) => {
    const { id, text } = current.current;
    const next = { id, text: typeof update === 'function' ? update(text) : update };
    current.current = next;
    writeDraft(id, next.text);
    setState(next);
  }, []);
  return [shown.text, setDraft];
}

const LAST_CHAT = 'gm.lastChat';

/** The chat page last shown in this tab: "Back to chat" on other pages returns there. */
export function rememberChat(conversationId: string | null): void {
  writeSession(LAST_CHAT, conversationId ? conversationPath(conversationId) : null);
}

export function lastChatPath(): string {
  const path = readSession(LAST_CHAT);
  return path && /^\/c\/[^/]+$/.test(path) ? path : '/';
}
