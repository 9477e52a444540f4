import { useEffect, useRef, useState } from 'preact/hooks';
import type { Message } from '../../../shared/contracts/conversations';

/** Markdown punctuation read aloud is noise. */
function speakable(markdown: string): string {
  return markdown
    .replace(/```[^\n]*\n?/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, '')
    .replace(/[*_`~|]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const MIN_GAP_MS = 1500;
const SENTENCE_END = /[.!?:;](?=\s)|\n/g;

/**
 * What the polite live region says about the reply being written. The rendered message is
 * re-rendered on every frame, which a screen reader would re-read from the top; instead whole
 * sentences are passed on as they complete, at most every 1.5 s, and the rest when it ends.
 */
export function useReplyAnnouncer(reply: Message | undefined): string {
  const [announcement, setAnnouncement] = useState('');
  const spoken = useRef({ id: '', upTo: 0, at: 0, ended: true });

  useEffect(() => {
    if (!reply || reply.role !== 'assistant') return;
    const streaming = reply.status === 'streaming';
    let s = spoken.current;
    if (s.id !== reply.id) {
      // Our optimistic reply getting its server id is the same reply; a reply that was already
      // finished when the page opened is not news.
      const continuing = s.id.startsWith('local-') && !s.ended;
      const fresh = streaming || continuing;
      s = {
        id: reply.id,
        upTo: continuing ? s.upTo : fresh ? 0 : reply.content.length,
        at: s.at,
        ended: !fresh,
      };
      spoken.current = s;
      if (!fresh) return;
    }
    const now = Date.now();
    if (streaming) {
      let boundary = -1;
      for (const match of reply.content.matchAll(SENTENCE_END)) boundary = match.index + 1;
      if (boundary > s.upTo && now - s.at >= MIN_GAP_MS) {
        const text = speakable(reply.content.slice(s.upTo, boundary));
        s.upTo = boundary;
        s.at = now;
        if (text) setAnnouncement(text);
      }
      return;
    }
    if (s.ended) return;
    s.ended = true;
    const rest = speakable(reply.content.slice(s.upTo));
    s.upTo = reply.content.length;
    const outcome =
      reply.status === 'failed'
        ? `The reply failed: ${reply.error?.message ?? 'unknown error'}.`
        : reply.status === 'stopped'
          ? 'Reply stopped.'
          : 'Reply complete.';
    setAnnouncement(`${rest} ${outcome}`.trim());
  }, [reply]);

  return announcement;
}
