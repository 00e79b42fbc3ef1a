'use client';
/**
 * Poll `load` every `everyMs`, never overlapping requests, pausing while the tab is hidden.
 * Returns the latest data, the latest error and when the data was last refreshed.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export function usePolling<T>(load: () => Promise<T>, everyMs: number) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [at, setAt] = useState<number | null>(null);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  }, [load]);
  const [kick, setKick] = useState(0);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const d = await loadRef.current();
          if (!live) return;
          setData(d);
          setError(null);
          setAt(Date.now());
        } catch (err) {
          if (!live) return;
          setError(err);
        }
      }
      if (live) timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [everyMs, kick]);

  const refresh = useCallback(() => setKick((k) => k + 1), []);
  return { data, error, at, refresh };
}
