import { describe, expect, it } from 'vitest';
import { fieldErrors } from './field-errors';

describe('fieldErrors', () => {
  const fields = ['monthlySpendCapCredits', 'lowBalanceCredits'] as const;

  it('gives each named field its own sentence', () => {
    expect(
      fieldErrors(
        'monthlySpendCapCredits: The spending cap cannot be negative. lowBalanceCredits: The low-balance warning is a whole number of credits.',
        fields,
      ),
    ).toEqual({
      monthlySpendCapCredits: 'The spending cap cannot be negative.',
      lowBalanceCredits: 'The low-balance warning is a whole number of credits.',
    });
  });

  it('keeps a message about no field for the form as a whole', () => {
    expect(fieldErrors('Too many requests. Wait a moment and try again.', fields)).toEqual({
      form: 'Too many requests. Wait a moment and try again.',
    });
    expect(fieldErrors('text: Write what should be remembered.', ['text'])).toEqual({
      text: 'Write what should be remembered.',
    });
  });
});
