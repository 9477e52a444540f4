import { loadConfig } from '../../shared/config';
import { openServices, type Services } from '../../shared/services';

let current: Promise<Services> | undefined;

/** The core, built once per instance from configuration; a failed start is retried next time. */
export function services(): Promise<Services> {
  current ??= openServices(loadConfig(), (msg, err) => console.error(msg, err)).catch((err: unknown) => {
    current = undefined;
    throw err;
  });
  return current;
}

/** Hands the functions an already built core (tests, the benchmark). */
export function useServices(s: Services | undefined): void {
  current = s ? Promise.resolve(s) : undefined;
}
