/**
 * `npm run setup:mongodb`: creates the collection and the Atlas Search indexes the MongoDB
 * vector store needs (a vectorSearch index for the embedder's size with userId / documentId /
 * model as filter fields, and a text index), and waits until Atlas reports them queryable.
 * Idempotent: run it again after changing the embedder. Reads the app's own configuration.
 */
import { MongoClient } from 'mongodb';
import { loadConfig } from '../shared/config';
import { embedderFor } from '../shared/services';
import { ensureMongoIndexes } from '../shared/vectors/mongodb';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.MONGODB_URI)
    throw new Error('Set MONGODB_URI (and MONGODB_DATABASE, default gloriamundo) first.');
  const { dimensions, model } = embedderFor(config);
  const client = new MongoClient(config.MONGODB_URI);
  try {
    await ensureMongoIndexes({ client, database: config.MONGODB_DATABASE, dimensions, waitMs: 120_000 });
    console.log(`MongoDB ${config.MONGODB_DATABASE}: indexes ready for ${model} (${dimensions} dimensions)`);
  } finally {
    await client.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
