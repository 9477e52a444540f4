export const INITIAL_JS_BUDGET_BYTES: number;

export interface MeasuredFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** The chat screen's initial JS (entry chunk + its static imports) in a Vite build, gzip -9. */
export function measureInitialJs(distDir: string): {
  files: MeasuredFile[];
  bytes: number;
  gzipBytes: number;
  css: { bytes: number; gzipBytes: number };
  lazy: { bytes: number; gzipBytes: number };
};
