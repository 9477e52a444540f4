import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { Message } from '../../../shared/contracts/conversations';
import type { Model } from '../../../shared/contracts/models';
import { AssistantMessage } from './AssistantMessage';

/** Within this many pixels of the bottom the view follows new text; further up, it stays put. */
const STICK_THRESHOLD_PX = 80;

function UserMessage({ message }: { message: Message }) {
  return (
    <article class="message message-user">
      <h3 class="visually-hidden">You said</h3>
      <div class="user-bubble">{message.content}</div>
    </article>
  );
}

interface MessageListProps {
  messages: Message[];
  modelsById: Map<string, Model>;
  /** Retry is offered only when nothing else is running. */
  idle: boolean;
  onRetry: (messageId: string) => void;
  children?: ComponentChildren;
}

export function MessageList({ messages, modelsById, idle, onRetry, children }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const column = useRef<HTMLDivElement>(null);
  const stuck = useRef(true);
  const lastUserId = useRef<string | undefined>(undefined);

  const toBottom = () => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  // Growth of the column (streamed text, a code block highlighted late, the composer growing)
  // keeps the bottom in view only while the reader is already there.
  useEffect(() => {
    const el = column.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (stuck.current) toBottom();
    });
    observer.observe(el);
    if (scroller.current) observer.observe(scroller.current);
    return () => observer.disconnect();
  }, []);

  // Sending a message always brings the view down to it.
  useLayoutEffect(() => {
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.id;
    const sentNow =
      lastUser !== undefined && lastUser.startsWith('local-') && lastUser !== lastUserId.current;
    lastUserId.current = lastUser;
    if (sentNow || stuck.current) {
      stuck.current = true;
      toBottom();
    }
  }, [messages]);

  return (
    <div
      ref={scroller}
      class="message-scroller"
      onScroll={(e) => {
        const el = e.currentTarget;
        stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD_PX;
      }}
    >
      <div ref={column} class="message-column">
        {children}
        {messages.map((m) =>
          m.role === 'user' ? (
            <UserMessage key={m.id} message={m} />
          ) : (
            <AssistantMessage
              key={m.id}
              message={m}
              model={m.model ? modelsById.get(m.model) : undefined}
              canRetry={idle}
              onRetry={onRetry}
            />
          ),
        )}
      </div>
    </div>
  );
}
