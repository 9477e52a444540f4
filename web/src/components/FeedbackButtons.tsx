import { useEffect, useState } from 'preact/hooks';
import type { Message } from '../../../shared/contracts/conversations';
import { api } from '../api';
import { ThumbDownIcon, ThumbUpIcon } from './icons';

type Rating = 'up' | 'down';

/**
 * Thumbs up or down on a reply, with an optional comment. Pressing the rating that is on takes it
 * back. The choice shows at once and is put back if the server refuses it.
 */
export function FeedbackButtons({ messageId, initial }: { messageId: string; initial: Message['feedback'] }) {
  const [rating, setRating] = useState<Rating | null>(initial?.rating ?? null);
  const [comment, setComment] = useState(initial?.comment ?? '');
  const [asking, setAsking] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    setRating(initial?.rating ?? null);
    setComment(initial?.comment ?? '');
  }, [messageId, initial?.rating, initial?.comment]);

  const rate = (next: Rating) => {
    const before = rating;
    const clearing = before === next;
    setRating(clearing ? null : next);
    setAsking(!clearing);
    setNote(null);
    const done = clearing ? api.clearFeedback(messageId) : api.setFeedback(messageId, { rating: next });
    done.then(
      () => setNote(clearing ? null : 'Thanks for the feedback.'),
      (err: unknown) => {
        setRating(before);
        setAsking(false);
        setNote((err as Error).message);
      },
    );
  };

  const sendComment = (e: Event) => {
    e.preventDefault();
    if (!rating) return;
    api.setFeedback(messageId, { rating, comment: comment.trim() || null }).then(
      () => {
        setAsking(false);
        setNote('Thanks, your comment was saved.');
      },
      (err: unknown) => setNote((err as Error).message),
    );
  };

  return (
    <>
      <button
        type="button"
        class="icon-button icon-button-small feedback-button"
        aria-label="Good reply"
        title="Good reply"
        aria-pressed={rating === 'up'}
        onClick={() => rate('up')}
      >
        <ThumbUpIcon size={15} />
      </button>
      <button
        type="button"
        class="icon-button icon-button-small feedback-button"
        aria-label="Bad reply"
        title="Bad reply"
        aria-pressed={rating === 'down'}
        onClick={() => rate('down')}
      >
        <ThumbDownIcon size={15} />
      </button>
      {asking && rating && (
        <form class="feedback-form" onSubmit={sendComment}>
          <label class="visually-hidden" for={`feedback-${messageId}`}>
            What was {rating === 'up' ? 'good' : 'wrong'} about this reply? (optional)
          </label>
          <input
            id={`feedback-${messageId}`}
            type="text"
            maxLength={2000}
            placeholder={rating === 'up' ? 'What was good? (optional)' : 'What was wrong? (optional)'}
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
          />
          <button type="submit" class="button button-secondary button-small">
            Send
          </button>
        </form>
      )}
      {note && (
        <span class="feedback-note" role="status">
          {note}
        </span>
      )}
    </>
  );
}
