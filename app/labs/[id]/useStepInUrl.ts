'use client';
/**
 * The current step lives in the URL (`?step=3`, 1-based) so a reload, a shared link or the
 * instructor's "everyone go to step 4" lands on the right slide.
 */
import { useCallback, useEffect, useState } from 'react';

function readStep(count: number): number {
  const raw = new URLSearchParams(window.location.search).get('step');
  const n = raw == null ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? clamp(n - 1, count) : 0;
}

function clamp(index: number, count: number): number {
  return Math.max(0, Math.min(count - 1, index));
}

/** Returns the 0-based step index, or null until the URL has been read (after hydration). */
export function useStepInUrl(count: number): [number | null, (index: number) => void] {
  const [step, setStepState] = useState<number | null>(null);

  useEffect(() => {
    if (count <= 0) return undefined;
    setStepState(readStep(count));
    const onPop = () => setStepState(readStep(count));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [count]);

  const setStep = useCallback(
    (index: number) => {
      const next = clamp(index, count);
      setStepState(next);
      const url = new URL(window.location.href);
      url.searchParams.set('step', String(next + 1));
      // replaceState, not push: Back should leave the lab, not walk through every slide.
      window.history.replaceState(window.history.state, '', url);
    },
    [count],
  );
  return [step, setStep];
}
