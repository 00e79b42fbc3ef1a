'use client';
/**
 * Speaker notes: every step's of one lab, for the instructor's second screen (NotesViewer), or the
 * current step's in presenter mode (StepNotesView). Only the instructor's view shows them: the notes
 * route needs the bearer token, and the attendee's lab model never carries them.
 */
import { useEffect, useState } from 'react';
import type { Lab, LabSummary, StepNotes } from '@/common/lab-model';
import { api } from '@/app/lib/api';

/** One lab's notes and model, loaded with the instructor's token. */
export function useLabNotes(token: string, labId: string): { notes: StepNotes[] | null; lab: Lab | null; error: string | null } {
  const [notes, setNotes] = useState<StepNotes[] | null>(null);
  const [lab, setLab] = useState<Lab | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!labId) return undefined;
    let live = true;
    setNotes(null);
    setError(null);
    Promise.all([api.notes(token, labId), api.lab(labId)]).then(
      ([n, l]) => {
        if (!live) return;
        setNotes(n);
        setLab(l);
      },
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [token, labId]);
  return { notes, lab, error };
}

export function NotesViewer({ token, labs }: { token: string; labs: LabSummary[] }) {
  const [labId, setLabId] = useState<string>('');
  useEffect(() => {
    if (!labId && labs[0]) setLabId(labs[0].id);
  }, [labs, labId]);
  const { notes, lab, error } = useLabNotes(token, labId);

  const withNotes = (notes ?? []).filter((n) => n.speakerNotes.length > 0);
  return (
    <section className="panel" aria-labelledby="notes-heading">
      <div className="panel-head">
        <h2 id="notes-heading">Speaker notes</h2>
        <select aria-label="Lab" value={labId} onChange={(e) => setLabId(e.target.value)}>
          {labs.map((l) => (
            <option key={l.id} value={l.id}>
              {l.title}
            </option>
          ))}
        </select>
      </div>
      {error && <p className="form-error">{error}</p>}
      {notes && withNotes.length === 0 && <p className="muted">This lab has no speaker notes.</p>}
      {withNotes.length > 0 && (
        <ol className="notes-list">
          {withNotes.map((n) => (
            <li key={n.index}>
              <h3>
                Step {n.index + 1}: {lab?.steps[n.index]?.title ?? ''}
              </h3>
              {n.speakerNotes.map((text, i) => (
                <p key={i}>{text}</p>
              ))}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The speaker notes of one step (presenter mode), or a line saying it has none. */
export function StepNotesView({ notes, step, className }: { notes: StepNotes[] | null; step: number; className?: string }) {
  const mine = notes?.find((n) => n.index === step)?.speakerNotes ?? [];
  return (
    <div className={className} aria-label="Speaker notes for this step" data-testid="presenter-notes">
      {mine.length === 0 ? (
        <p className="muted">{notes ? 'No speaker notes for this step.' : 'Loading notes…'}</p>
      ) : (
        mine.map((text, i) => <p key={i}>{text}</p>)
      )}
    </div>
  );
}
