import { useEffect, useRef, useState } from 'preact/hooks';
import { lazyComponent } from '../lazy';
import { ChevronDownIcon } from './icons';

const PresetMenuList = lazyComponent(() => import('./PresetMenuList'));

/** "New chat from preset", under New chat: a toggle, and the list (a lazy chunk) when open. */
export function PresetMenu({ onStarted }: { onStarted: () => void }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const outside = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  return (
    <div
      class="preset-menu"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.preventDefault();
          e.stopPropagation();
          setOpen(false);
          toggle.current?.focus();
        }
      }}
    >
      <button
        ref={toggle}
        type="button"
        class="button button-ghost button-small preset-menu-toggle"
        aria-expanded={open}
        aria-controls={open ? 'preset-menu-list' : undefined}
        onClick={() => setOpen(!open)}
      >
        New chat from preset <ChevronDownIcon size={14} />
      </button>
      {open && (
        <PresetMenuList
          onDone={(started) => {
            setOpen(false);
            if (started) onStarted();
          }}
        />
      )}
    </div>
  );
}
