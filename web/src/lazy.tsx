import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A component whose code is a separate chunk, fetched the first time it renders (the billing and
 * usage pages stay out of the chat screen's initial JavaScript). No preact/compat needed.
 * `inline`: a part of a screen rather than a page, which shows nothing until it is there.
 */
export function lazyComponent<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
  { inline = false } = {},
) {
  let Loaded: ComponentType<P> | undefined;
  let pending: Promise<void> | undefined;
  const fetchOnce = () =>
    (pending ??= load().then(
      (m) => {
        Loaded = m.default;
      },
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    ));

  return function LazyComponent(props: P) {
    const [, setReady] = useState(false);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Loaded) return;
      let live = true;
      fetchOnce().then(
        () => live && setReady(true),
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, []);
    if (Loaded) return <Loaded {...props} />;
    if (inline) return null;
    if (failed)
      return (
        <div class="page-state" role="alert">
          This page could not be loaded.{' '}
          <button class="link-button" onClick={() => location.reload()}>
            Reload
          </button>
        </div>
      );
    return <div class="page-state" aria-busy="true" aria-label="Loading" />;
  };
}
