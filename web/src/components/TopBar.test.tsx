import { describe, expect, it } from 'vitest';
import { balanceState } from './TopBar';

describe('the balance badge', () => {
  it('warns below the level the user set, and only then', () => {
    expect(balanceState({ credits: 0, lowBalanceCredits: null })).toBe('empty');
    expect(balanceState({ credits: 500, lowBalanceCredits: null })).toBe('ok');
    expect(balanceState({ credits: 500, lowBalanceCredits: 1000 })).toBe('low');
    expect(balanceState({ credits: 1000, lowBalanceCredits: 1000 })).toBe('ok');
  });
});
