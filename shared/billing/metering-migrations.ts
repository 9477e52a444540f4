import type { Migration } from '../db/migration';

export const meteringMigrations: Migration[] = [
  {
    id: '040_usage_losses',
    sql: `
      -- What a price exceeded the hold or the balance by: never charged, never silently dropped.
      -- The operator's query: SELECT model, sum(loss_credits) FROM usage_records GROUP BY model.
      ALTER TABLE usage_records ADD COLUMN loss_credits bigint NOT NULL DEFAULT 0 CHECK (loss_credits >= 0);
      ALTER TABLE usage_records ADD COLUMN hold_credits bigint;
      CREATE INDEX usage_losses ON usage_records (created_at) WHERE loss_credits > 0;
    `,
  },
  {
    id: '041_spend_cap_low_balance',
    sql: `
      -- Set by the user in settings; null = none.
      ALTER TABLE users ADD COLUMN monthly_spend_cap_credits bigint CHECK (monthly_spend_cap_credits >= 0);
      ALTER TABLE users ADD COLUMN low_balance_credits bigint CHECK (low_balance_credits >= 0);
    `,
  },
];
