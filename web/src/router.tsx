import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/** The dashboard's pages, parsed from the URL path (history routing; the server falls back to index.html). */
export type Route =
  | { page: 'overview' }
  | { page: 'scenarios' }
  | { page: 'scenario'; id: string }
  | { page: 'run'; id: string }
  | { page: 'batch'; id: string }
  | { page: 'compare'; a: string | null; b: string | null; batch: string | null; runs: string[] | null }
  | { page: 'regressions' }
  | { page: 'review'; id: string | null }
  | { page: 'new-scenario' }
  | { page: 'legend' }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(search);
  const [first, second] = parts;
  if (parts.length === 0) return { page: 'overview' };
  if (first === 'scenarios' && parts.length === 1) return { page: 'scenarios' };
  if (first === 'scenarios' && second === 'new' && parts.length === 2) return { page: 'new-scenario' };
  if (first === 'scenarios' && second && parts.length === 2) return { page: 'scenario', id: second };
  if (first === 'legend' && parts.length === 1) return { page: 'legend' };
  if (first === 'runs' && second && parts.length === 2) return { page: 'run', id: second };
  if (first === 'batches' && second && parts.length === 2) return { page: 'batch', id: second };
  if (first === 'compare' && parts.length === 1)
    return {
      page: 'compare',
      a: params.get('a'),
      b: params.get('b'),
      batch: params.get('batch'),
      runs: params.get('runs')?.split(',').filter(Boolean) ?? null,
    };
  if (first === 'regressions' && parts.length === 1) return { page: 'regressions' };
  if (first === 'review' && parts.length === 1) return { page: 'review', id: params.get('id') };
  return { page: 'not-found', path: pathname };
}

const navigationEvent = 'dmasim:navigate';

export function navigate(to: string): void {
  window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(navigationEvent));
  window.scrollTo?.(0, 0);
}

/** The current route; re-renders on navigate() and the browser's back/forward. */
export function useRoute(): Route {
  const read = (): Route => parseRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = (): void => setRoute(read());
    window.addEventListener('popstate', update);
    window.addEventListener(navigationEvent, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(navigationEvent, update);
    };
  }, []);
  return route;
}

/** An anchor that navigates inside the app (modified clicks still open new tabs). */
export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>): ReactNode {
  const onClick = (event: MouseEvent<HTMLAnchorElement>): void => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
