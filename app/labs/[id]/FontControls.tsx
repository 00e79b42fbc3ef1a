'use client';
/** A-/A+ for the projector: scales slides and terminal together. */
export function FontControls({
  scale,
  smaller,
  bigger,
  canShrink,
  canGrow,
}: {
  scale: number;
  smaller: () => void;
  bigger: () => void;
  canShrink: boolean;
  canGrow: boolean;
}) {
  return (
    <div className="font-controls" role="group" aria-label="Text size">
      <button type="button" className="btn btn-small" onClick={smaller} disabled={!canShrink} aria-label="Smaller text">
        A−
      </button>
      <span className="font-scale" aria-live="polite">
        {Math.round(scale * 100)}%
      </span>
      <button type="button" className="btn btn-small" onClick={bigger} disabled={!canGrow} aria-label="Larger text">
        A+
      </button>
    </div>
  );
}
