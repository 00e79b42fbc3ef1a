'use client';
/** "Follow the instructor" in presenter mode: shown only while the instructor presents this lab. */
import type { PresenterFollow } from './usePresenterFollow';
import styles from './watch.module.css';

export function FollowToggle({ follow, onGo }: { follow: PresenterFollow; onGo: (step: number) => void }) {
  if (follow.step === null) return null;
  const step = follow.step;
  return (
    <span className={styles.follow} data-testid="presenter-follow">
      <span>Instructor: step {step + 1}</span>
      <label>
        <input type="checkbox" checked={follow.following} onChange={(e) => follow.setFollowing(e.target.checked)} data-testid="follow-toggle" />
        Follow the instructor
      </label>
      {!follow.following && (
        <button type="button" className="btn btn-small" onClick={() => onGo(step)}>
          Go to step {step + 1}
        </button>
      )}
    </span>
  );
}
