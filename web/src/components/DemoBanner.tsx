import { useEffect, useState } from 'preact/hooks';
import type { HealthResponse } from '../../../shared/contracts/health';
import { api } from '../api';
import { readPreference, writePreference } from '../storage';
import { CloseIcon } from './icons';

const DISMISSED = 'gm.demoBannerDismissed';

/**
 * A thin line above the chat when the server runs its offline demo model (`checks.llm` is
 * `offline-demo`): the replies are canned, and this says how to get real ones. Dismissed once,
 * it stays away in this browser.
 */
export function DemoBanner({ check = () => api.health() }: { check?: () => Promise<HealthResponse> }) {
  const [show, setShow] = useState(false);
  useEffect(() => {
    if (readPreference(DISMISSED)) return;
    let live = true;
    check().then(
      (health) => live && setShow(health.checks.llm === 'offline-demo'),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  if (!show) return null;
  return (
    <div class="demo-banner" role="status">
      <span class="demo-banner-text">
        You're chatting with the offline demo model. Set <code>OPENROUTER_API_KEY</code> to use real models.
      </span>
      <button
        type="button"
        class="icon-button icon-button-small"
        aria-label="Dismiss the demo model notice"
        onClick={() => {
          writePreference(DISMISSED, '1');
          setShow(false);
        }}
      >
        <CloseIcon size={14} />
      </button>
    </div>
  );
}
