import { useEffect } from 'react';

/** Calls `refresh` every `intervalMs` while `active`; stops when inactive or unmounted. */
export function usePolling(active: boolean, intervalMs: number, refresh: () => void): void {
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(refresh, intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs, refresh]);
}

export const finalStatuses: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);
