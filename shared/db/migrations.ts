import { apiKeyMigrations } from '../api-keys/migrations';
import { authMigrations } from '../auth/migrations';
import { meteringMigrations } from '../billing/metering-migrations';
import { receiptMigrations } from '../billing/receipt-migrations';
import { chatMigrations } from '../chat/migrations';
import { documentMigrations } from '../documents/migrations';
import { imageMigrations } from '../images/migrations';
import { memoryMigrations } from '../memory/migrations';
import { vectorMigrations } from '../vectors/pgvector';
import { feedbackMigrations } from '../feedback/migrations';
import { presetMigrations } from '../presets/migrations';
import { shareMigrations } from '../shares/migrations';
import { foundationMigrations } from './migrations-foundation';
import type { Migration } from './migration';

/**
 * Every feature's migrations, applied in id order at start. A feature keeps its schema beside
 * its code and joins the list here, so it can be left out as one piece.
 */
export const migrations: Migration[] = [
  ...foundationMigrations,
  ...authMigrations,
  ...chatMigrations,
  ...meteringMigrations,
  ...documentMigrations,
  ...vectorMigrations,
  ...presetMigrations,
  ...shareMigrations,
  ...receiptMigrations,
  ...feedbackMigrations,
  ...memoryMigrations,
  ...apiKeyMigrations,
  ...imageMigrations,
].sort((a, b) => a.id.localeCompare(b.id));

const ids = new Set<string>();
for (const m of migrations) {
  if (ids.has(m.id)) throw new Error(`Two migrations share the id ${m.id}`);
  ids.add(m.id);
}
