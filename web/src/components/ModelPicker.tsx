import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import { formatCompact, formatPerMillion } from '../format';
import { AlertIcon, BrainIcon, CheckIcon, ChevronDownIcon, EyeIcon, SearchIcon } from './icons';

type Filter = 'free' | 'vision' | 'reasoning';
const FILTERS: { key: Filter; label: string }[] = [
  { key: 'free', label: 'Free' },
  { key: 'vision', label: 'Vision' },
  { key: 'reasoning', label: 'Reasoning' },
];

interface ModelPickerProps {
  models: Model[];
  selected: Model | undefined;
  loading: boolean;
  error: string | null;
  onSelect: (model: Model) => void;
  /** Images are attached: a model that reads none is flagged, and the list opens on Vision models. */
  needsVision?: boolean;
}

/** "OpenAI: GPT-4o" → "GPT-4o": the provider is already in the id shown underneath. */
export const shortModelName = (m: Model) => m.name.replace(/^[^:]{1,40}:\s*/, '');

export function priceLine(m: Model): string {
  if (m.free) return 'Free';
  return `${formatPerMillion(m.pricing.promptPerMTok)} in · ${formatPerMillion(m.pricing.completionPerMTok)} out credits/M tokens`;
}

function matches(m: Model, words: string[], filters: Set<Filter>): boolean {
  for (const f of filters) if (!m[f]) return false;
  const haystack = `${m.name} ${m.id}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}

/**
 * A searchable list of the catalogue (a combobox with a listbox): type to filter, chips narrow to
 * free / vision / reasoning models, arrows move, Enter picks, Esc closes.
 */
export function ModelPicker({ models, selected, loading, error, onSelect, needsVision }: ModelPickerProps) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [filters, setFilters] = useState<Set<Filter>>(new Set());
  const [active, setActive] = useState(0);
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const listbox = useRef<HTMLUListElement>(null);

  const visible = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return models.filter((m) => matches(m, words, filters));
  }, [models, query, filters]);

  // Focus before paint, so the first keystroke after opening lands in the search box.
  useLayoutEffect(() => {
    if (open) search.current?.focus();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const closeOnOutside = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', closeOnOutside);
    return () => document.removeEventListener('pointerdown', closeOnOutside);
  }, [open]);

  // The highlight is set where the list changes, not in an effect: an effect runs after paint,
  // and an Enter typed before it would pick from a stale position.
  const current = Math.min(active, visible.length - 1);

  useEffect(() => {
    listbox.current?.querySelector(`[data-index="${current}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [current, open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) trigger.current?.focus();
  };

  const pick = (m: Model) => {
    onSelect(m);
    setQuery('');
    close(true);
  };

  const blind = needsVision && selected && !selected.vision;

  const openPicker = () => {
    if (blind) setFilters(new Set(['vision']));
    const index = selected ? visible.findIndex((m) => m.id === selected.id) : -1;
    setActive(Math.max(0, index));
    setOpen(true);
  };

  const toggleFilter = (f: Filter) => {
    setActive(0);
    setFilters((old) => {
      const next = new Set(old);
      if (next.has(f)) next.delete(f);
      else next.add(f);
      return next;
    });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive(Math.min(visible.length - 1, current + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive(Math.max(0, current - 1));
    } else if (e.key === 'Home' && e.ctrlKey) {
      setActive(0);
    } else if (e.key === 'End' && e.ctrlKey) {
      setActive(visible.length - 1);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const m = visible[current];
      if (m) pick(m);
    } else if (e.key === 'Escape') {
      // Handled here: the chat's Esc-to-stop must not see it.
      e.preventDefault();
      e.stopPropagation();
      close(true);
    }
  };

  const label = selected
    ? shortModelName(selected)
    : loading
      ? 'Loading models…'
      : error
        ? 'Models unavailable'
        : 'Choose a model';

  return (
    <div class="model-picker" ref={root}>
      <button
        ref={trigger}
        type="button"
        class="model-trigger"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={open ? `${id}-panel` : undefined}
        disabled={models.length === 0}
        title={selected ? `${selected.name} (${selected.id})` : undefined}
        onClick={() => (open ? close(false) : openPicker())}
      >
        <span class="visually-hidden">Model: </span>
        <span class="model-trigger-name">{label}</span>
        {selected?.free && <span class="badge badge-free">Free</span>}
        {blind && (
          <span class="badge badge-warning" title="This model cannot read the attached images">
            <AlertIcon size={12} /> No images
          </span>
        )}
        <ChevronDownIcon size={16} />
      </button>
      {open && (
        <div
          id={`${id}-panel`}
          class="model-panel"
          role="dialog"
          aria-label="Choose a model"
          onKeyDown={onKeyDown}
        >
          <div class="model-search">
            <SearchIcon size={16} />
            <input
              ref={search}
              type="text"
              role="combobox"
              aria-label="Search models"
              aria-expanded="true"
              aria-controls={`${id}-list`}
              aria-activedescendant={visible[current] ? `${id}-opt-${current}` : undefined}
              aria-autocomplete="list"
              placeholder="Search models"
              autocomplete="off"
              spellcheck={false}
              value={query}
              onInput={(e) => {
                setQuery(e.currentTarget.value);
                setActive(0);
              }}
            />
          </div>
          <div class="model-filters" role="group" aria-label="Show only">
            {FILTERS.map((f) => (
              <button
                key={f.key}
                type="button"
                class="chip"
                aria-pressed={filters.has(f.key)}
                onClick={() => toggleFilter(f.key)}
              >
                {filters.has(f.key) && <CheckIcon size={14} />}
                {f.label}
              </button>
            ))}
            <span class="model-count" aria-live="polite">
              {visible.length} {visible.length === 1 ? 'model' : 'models'}
            </span>
          </div>
          <ul ref={listbox} id={`${id}-list`} class="model-list" role="listbox" aria-label="Models">
            {visible.map((m, i) => (
              <li
                key={m.id}
                id={`${id}-opt-${i}`}
                data-index={i}
                role="option"
                aria-selected={m.id === selected?.id}
                class={i === current ? 'model-option is-active' : 'model-option'}
                onPointerMove={() => i !== current && setActive(i)}
                onClick={() => pick(m)}
              >
                <div class="model-option-main">
                  <span class="model-option-name">{shortModelName(m)}</span>
                  {m.free && <span class="badge badge-free">Free</span>}
                  {m.vision && (
                    <span class="badge" title="Understands images">
                      <EyeIcon size={12} />
                      <span class="visually-hidden">Vision</span>
                    </span>
                  )}
                  {m.reasoning && (
                    <span class="badge" title="Shows its reasoning">
                      <BrainIcon size={12} />
                      <span class="visually-hidden">Reasoning</span>
                    </span>
                  )}
                  {m.id === selected?.id && <CheckIcon size={16} />}
                </div>
                <div class="model-option-meta">
                  <span class="model-option-id">{m.id}</span>
                </div>
                <div class="model-option-meta">
                  <span>{priceLine(m)}</span>
                  <span>{formatCompact(m.contextLength)} context</span>
                </div>
              </li>
            ))}
          </ul>
          {visible.length === 0 && <p class="model-empty">No models match.</p>}
        </div>
      )}
    </div>
  );
}
