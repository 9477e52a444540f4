import type { Message } from '../../../shared/contracts/conversations';
import { ChevronLeftIcon, ChevronRightIcon } from './icons';

/** "< 2/3 >" between the versions of a message (its siblings: same parent, oldest first). */
export function VersionSwitcher({
  message,
  disabled,
  onSwitch,
}: {
  message: Pick<Message, 'id' | 'siblingIds'>;
  disabled: boolean;
  onSwitch: (messageId: string) => void;
}) {
  const versions = message.siblingIds;
  const at = versions.indexOf(message.id);
  if (versions.length < 2 || at < 0) return null;
  const go = (to: number) => {
    const target = versions[to];
    if (target) onSwitch(target);
  };
  return (
    <span class="versions" role="group" aria-label="Versions">
      <button
        type="button"
        class="icon-button icon-button-small"
        aria-label="Previous version"
        title="Previous version"
        disabled={disabled || at === 0}
        onClick={() => go(at - 1)}
      >
        <ChevronLeftIcon size={15} />
      </button>
      <span class="versions-count" aria-hidden="true">
        {at + 1}/{versions.length}
      </span>
      <span class="visually-hidden">
        Version {at + 1} of {versions.length}
      </span>
      <button
        type="button"
        class="icon-button icon-button-small"
        aria-label="Next version"
        title="Next version"
        disabled={disabled || at === versions.length - 1}
        onClick={() => go(at + 1)}
      >
        <ChevronRightIcon size={15} />
      </button>
    </span>
  );
}
