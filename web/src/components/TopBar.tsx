import type { ComponentChildren } from 'preact';
import { formatCompact, formatDollars, formatNumber } from '../format';
import { Link } from '../router';
import type { User } from '../../../shared/contracts/auth';
import { useUser } from '../session';
import { useTheme } from '../theme';
import { KeyboardIcon, MenuIcon, MoonIcon, SunIcon } from './icons';

/** Empty, under the warning level the user set in settings, or fine. */
export function balanceState(user: Pick<User, 'credits' | 'lowBalanceCredits'>): 'empty' | 'low' | 'ok' {
  if (user.credits <= 0) return 'empty';
  return user.lowBalanceCredits !== null && user.credits < user.lowBalanceCredits ? 'low' : 'ok';
}

/** The balance, always in view: credits and what they are worth (100,000 credits = $1). */
function BalanceBadge() {
  const user = useUser();
  const state = balanceState(user);
  const warning =
    state === 'low'
      ? ` Below the warning level you set (${formatNumber(user.lowBalanceCredits ?? 0)} credits).`
      : '';
  return (
    <Link
      href="/billing"
      class={state === 'ok' ? 'balance' : 'balance is-empty'}
      aria-label={`Balance: ${formatNumber(user.credits)} credits, ${formatDollars(user.credits)}.${warning} Buy credits`}
      title={warning ? `${warning.trim()} Buy credits` : 'Buy credits'}
    >
      <span class="balance-credits">
        <strong>{formatNumber(user.credits)}</strong> credits
      </span>
      <span class="balance-compact" aria-hidden="true">
        <strong>{formatCompact(user.credits)}</strong> cr
      </span>
      <span class="balance-dollars">{formatDollars(user.credits)}</span>
    </Link>
  );
}

function ThemeToggle() {
  const { theme, toggle } = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="icon-button theme-toggle"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={toggle}
    >
      {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
    </button>
  );
}

interface TopBarProps {
  drawer: boolean;
  drawerOpen: boolean;
  onOpenDrawer: () => void;
  menuButtonRef?: { current: HTMLButtonElement | null };
  onShowShortcuts?: () => void;
  children?: ComponentChildren;
}

export function TopBar({
  drawer,
  drawerOpen,
  onOpenDrawer,
  menuButtonRef,
  onShowShortcuts,
  children,
}: TopBarProps) {
  return (
    <header class="topbar">
      {drawer && (
        <button
          ref={menuButtonRef}
          type="button"
          class="icon-button"
          aria-label="Open conversations"
          aria-controls="sidebar"
          aria-expanded={drawerOpen}
          onClick={onOpenDrawer}
        >
          <MenuIcon />
        </button>
      )}
      <div class="topbar-main">{children}</div>
      <div class="topbar-end">
        <BalanceBadge />
        {onShowShortcuts && (
          <button
            type="button"
            class="icon-button shortcuts-button"
            aria-label="Keyboard shortcuts"
            title="Keyboard shortcuts (?)"
            onClick={onShowShortcuts}
          >
            <KeyboardIcon />
          </button>
        )}
        <ThemeToggle />
      </div>
    </header>
  );
}
