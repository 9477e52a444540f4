/** One forward-only schema step. Ids sort in the order they apply; a shipped one is never edited. */
export interface Migration {
  id: string;
  sql: string;
}
