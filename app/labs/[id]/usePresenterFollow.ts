'use client';
/**
 * Presenter mode on the attendee's side: "Follow the instructor" (the page moves to the presenter's
 * step whenever it changes) or their own pace. The choice is remembered per lab in this browser.
 */
import { useCallback, useEffect, useState } from 'react';
import { readJson, writeJson } from '@/app/lib/storage';

export interface PresenterFollow {
  /** The presenter's step of this lab, or null while nobody presents it. */
  step: number | null;
  following: boolean;
  setFollowing: (on: boolean) => void;
}

export function usePresenterFollow(labId: string, presenter: { labId: string; step: number } | null, go: (step: number) => void): PresenterFollow {
  const key = `labdeck:follow:${labId}`;
  const [following, setFollowingState] = useState(false);
  useEffect(() => setFollowingState(readJson<unknown>(key, false) === true), [key]);
  const setFollowing = useCallback(
    (on: boolean) => {
      setFollowingState(on);
      writeJson(key, on);
    },
    [key],
  );
  const step = presenter && presenter.labId === labId ? presenter.step : null;
  // Moves when the presenter moves, or when the attendee starts following; not when they page on their own.
  useEffect(() => {
    if (following && step !== null) go(step);
  }, [following, step, go]);
  return { step, following, setFollowing };
}
