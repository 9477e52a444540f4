import { useEffect, useState } from 'preact/hooks';
import type { Conversation } from '../../../shared/contracts/conversations';
import { api } from '../api';
import { formatNumber } from '../format';
import { REPLY_LENGTHS } from './Composer';
import { Modal } from './Modal';

/** MAX_SYSTEM_PROMPT_CHARS of the contract (importing it would bring zod into this chunk). */
const MAX_SYSTEM_PROMPT_CHARS = 8_000;

/**
 * A conversation's own settings: its system prompt, temperature and default reply length
 * (empty = the service's default). Saved with PATCH; the next reply uses them.
 */
export default function ConversationSettingsDialog({
  conversationId,
  onSaved,
  onClose,
}: {
  conversationId: string;
  onSaved: (conversation: Conversation) => void;
  onClose: () => void;
}) {
  const [loaded, setLoaded] = useState(false);
  const [systemPrompt, setSystemPrompt] = useState('');
  const [temperature, setTemperature] = useState('');
  const [maxTokens, setMaxTokens] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    api.getConversation(conversationId).then(
      ({ conversation: c }) => {
        setSystemPrompt(c.systemPrompt ?? '');
        setTemperature(c.temperature === null ? '' : String(c.temperature));
        setMaxTokens(c.maxTokens === null ? '' : String(c.maxTokens));
        setLoaded(true);
      },
      (err: unknown) => setError((err as Error).message),
    );
  }, [conversationId]);

  const save = (e: Event) => {
    e.preventDefault();
    const t = temperature.trim() === '' ? null : Number(temperature);
    if (t !== null && !(t >= 0 && t <= 2)) {
      setError('Temperature goes from 0 to 2 (or leave it empty for the default).');
      return;
    }
    setSaving(true);
    setError(null);
    api
      .updateConversation(conversationId, {
        systemPrompt: systemPrompt.trim() ? systemPrompt : null,
        temperature: t,
        maxTokens: maxTokens === '' ? null : Number(maxTokens),
      })
      .then(
        ({ conversation }) => {
          onSaved(conversation);
          onClose();
        },
        (err: unknown) => {
          setSaving(false);
          setError((err as Error).message);
        },
      );
  };

  return (
    <Modal title="Chat settings" onClose={onClose} wide>
      <form class="settings-form" onSubmit={save} aria-busy={!loaded && !error}>
        <label for="chat-system-prompt">System prompt</label>
        <p class="field-hint" id="chat-system-prompt-hint">
          How the assistant should behave in this chat. Empty: the service's default.
        </p>
        <textarea
          id="chat-system-prompt"
          aria-describedby="chat-system-prompt-hint"
          rows={6}
          maxLength={MAX_SYSTEM_PROMPT_CHARS}
          value={systemPrompt}
          disabled={!loaded}
          onInput={(e) => setSystemPrompt(e.currentTarget.value)}
        />
        <div class="settings-row">
          <div>
            <label for="chat-temperature">Temperature</label>
            <input
              id="chat-temperature"
              type="number"
              min={0}
              max={2}
              step={0.1}
              inputMode="decimal"
              placeholder="Default"
              value={temperature}
              disabled={!loaded}
              onInput={(e) => setTemperature(e.currentTarget.value)}
            />
          </div>
          <div>
            <label for="chat-max-tokens">Reply length</label>
            <select
              id="chat-max-tokens"
              value={maxTokens}
              disabled={!loaded}
              onChange={(e) => setMaxTokens(e.currentTarget.value)}
            >
              {REPLY_LENGTHS.map((n) => (
                <option key={n ?? 'default'} value={n === null ? '' : String(n)}>
                  {n === null ? 'Default length' : `Up to ${formatNumber(n)} tokens`}
                </option>
              ))}
              {maxTokens && !REPLY_LENGTHS.includes(Number(maxTokens)) && (
                <option value={maxTokens}>Up to {formatNumber(Number(maxTokens))} tokens</option>
              )}
            </select>
          </div>
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="button button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={!loaded || saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
