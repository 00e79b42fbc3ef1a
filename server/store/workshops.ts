/**
 * Workshops and their members: creating one, finding it by its join code, joining it under a name unique
 * in it, its state and the times of its lifecycle, its stuck rule. The rules themselves are the
 * workshop's (server/workshop/): the join code's alphabet, which state may follow which, which state
 * takes joins. This module is handed them (WorkshopRules, wired in main.ts) and enforces them inside its
 * transactions, so no race between two requests can step around them (issue 18 §3 and §5).
 */
import { randomBytes } from 'node:crypto';
import type { StuckSettings } from '../../common/class-protocol.js';
import type { EventLog } from './events.js';
import { attendeeRow, isUniqueViolation, type Db } from './open.js';

/** The `workshops.state` column (migration 2's CHECK). A close countdown is `closes_at`, not a state. */
export type WorkshopState = 'open' | 'paused' | 'closed';

export interface StoredWorkshop {
  id: string;
  labId: string;
  title: string;
  code: string;
  maxAttendees: number;
  state: WorkshopState;
  /** False once the instructor closed joining (issue 17 §2): members keep their seat, nobody new joins. */
  joinsOpen: boolean;
  createdAt: number;
}

/** One member of a workshop, as stored. */
export interface WorkshopMember {
  attendee: string;
  name: string;
  step: number | null;
  labId: string | null;
  lastSeen: number;
}

/** The name the attendee now has, or why the join was refused (and nothing was written). */
export type JoinOutcome = { ok: true; name: string } | { ok: false; why: 'name-taken' | 'full' | 'not-open' | 'joins-closed' };

/** The workshop's rules this module enforces; server/workshop/states.ts fills it. */
export interface WorkshopRules {
  /** A fresh join code; one that clashes with an existing workshop's is drawn again. */
  newCode(): string;
  /** May a workshop in `from` move to `to`? */
  canMove(from: WorkshopState, to: WorkshopState): boolean;
  /** Does a workshop in `state` take joins? */
  joinable(state: WorkshopState): boolean;
}

export interface Workshops {
  /** A new open workshop with a fresh join code. */
  createWorkshop(w: { labId: string; title: string; maxAttendees: number }, now?: number): StoredWorkshop;
  /** Every workshop, newest first. */
  workshops(): StoredWorkshop[];
  workshop(id: string): StoredWorkshop | null;
  /** The workshop with exactly this code (server/workshop/join-code.ts normalises what was typed). */
  workshopByCode(code: string): StoredWorkshop | null;
  /**
   * The attendee joins the workshop under `name` (already validated: common/api.ts displayNameProblem).
   * Joining again from the same browser keeps the seat (and renames, if the name differs and is free),
   * also once joins are closed; the checks and the write are one transaction, so two joins cannot both
   * take the last seat. A refused join writes nothing: no attendee row, no event (issue 17 §4).
   */
  join(attendee: string, workshopId: string, name: string, now?: number): JoinOutcome;
  /** The workshop the attendee joined, or null (never joined, or solo mode). */
  workshopOf(attendee: string): StoredWorkshop | null;
  /** The workshop's members, in the order they joined. */
  members(workshopId: string): WorkshopMember[];
  /** The name the attendee chose (`POST /api/me`); false when a member of their workshop has it. */
  setName(attendee: string, name: string): boolean;
  nameOf(attendee: string): string | null;
  /**
   * Pause, resume or close: the state and its time in one write, if the rules allow the move from the
   * state it is in now (false, and nothing written, when not). Closing ends any countdown.
   */
  moveWorkshop(id: string, to: WorkshopState, now?: number): boolean;
  /** Start (a time) or cancel (null) the close countdown. */
  setClosesAt(id: string, at: number | null): void;
  workshopTimes(id: string): { closesAt: number | null; pausedAt: number | null };
  /** Workshops whose close countdown runs: after a restart the server finishes them. */
  closingWorkshops(): Array<{ id: string; closesAt: number }>;
  /** Open or close joining (issue 17 §2). */
  setJoinsOpen(workshopId: string, open: boolean, now?: number): void;
  /** The workshop's stuck rule, or null until the instructor sets one (the default is the classroom's). */
  stuckSettings(workshopId: string): StuckSettings | null;
  setStuckSettings(workshopId: string, settings: StuckSettings): void;
}

interface WorkshopRow extends Omit<StoredWorkshop, 'joinsOpen'> {
  joinsOpen: 0 | 1;
}

const COLUMNS = 'w.id, w.lab_id AS labId, w.title, w.code, w.max_attendees AS maxAttendees, w.state, w.joins_closed_at IS NULL AS joinsOpen, w.created_at AS createdAt';

const fromRow = (r: WorkshopRow | undefined): StoredWorkshop | null => (r ? { ...r, joinsOpen: r.joinsOpen === 1 } : null);

export function workshopStore(db: Db, log: EventLog, rules: WorkshopRules): Workshops {
  const insert = db.prepare('INSERT INTO workshops (id, lab_id, title, code, max_attendees, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const all = db.prepare<[], WorkshopRow>(`SELECT ${COLUMNS} FROM workshops w ORDER BY w.created_at DESC`);
  const byId = db.prepare<[string], WorkshopRow>(`SELECT ${COLUMNS} FROM workshops w WHERE w.id = ?`);
  const byCode = db.prepare<[string], WorkshopRow>(`SELECT ${COLUMNS} FROM workshops w WHERE w.code = ?`);
  const ofAttendee = db.prepare<[string], WorkshopRow>(`SELECT ${COLUMNS} FROM attendees a JOIN workshops w ON w.id = a.workshop_id WHERE a.id = ?`);
  const membership = db.prepare<[string], { workshopId: string | null }>('SELECT workshop_id AS workshopId FROM attendees WHERE id = ?');
  const seats = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM attendees WHERE workshop_id = ?');
  // The same comparison as the unique index attendees_workshop_name (migration 2).
  const nameTaken = db.prepare('SELECT 1 FROM attendees WHERE workshop_id = ? AND name = ? COLLATE NOCASE AND id <> ?');
  const upsertMember = db.prepare(
    `INSERT INTO attendees (id, created_at, last_seen, workshop_id, name) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, workshop_id = excluded.workshop_id, name = excluded.name`,
  );
  const members = db.prepare<[string], WorkshopMember>(
    'SELECT id AS attendee, name, step, lab_id AS labId, last_seen AS lastSeen FROM attendees WHERE workshop_id = ? ORDER BY created_at',
  );
  const touch = attendeeRow(db);
  const rename = db.prepare('UPDATE attendees SET name = ? WHERE id = ?');
  const nameOf = db.prepare<[string], { name: string | null }>('SELECT name FROM attendees WHERE id = ?');
  const stateOf = db.prepare<[string], { state: WorkshopState }>('SELECT state FROM workshops WHERE id = ?');
  const move = db.prepare(
    `UPDATE workshops SET state = ?, paused_at = CASE WHEN ? = 'paused' THEN ? ELSE NULL END, closes_at = CASE WHEN ? = 'closed' THEN NULL ELSE closes_at END WHERE id = ?`,
  );
  const setClosesAt = db.prepare('UPDATE workshops SET closes_at = ? WHERE id = ?');
  const times = db.prepare<[string], { closesAt: number | null; pausedAt: number | null }>('SELECT closes_at AS closesAt, paused_at AS pausedAt FROM workshops WHERE id = ?');
  const closing = db.prepare<[], { id: string; closesAt: number }>("SELECT id, closes_at AS closesAt FROM workshops WHERE closes_at IS NOT NULL AND state <> 'closed'");
  const setJoins = db.prepare('UPDATE workshops SET joins_closed_at = CASE WHEN ? THEN NULL ELSE COALESCE(joins_closed_at, ?) END WHERE id = ?');
  const stuck = db.prepare<[string], { stuckAfterMs: number | null; failStreak: number | null }>(
    'SELECT stuck_after_ms AS stuckAfterMs, stuck_fail_streak AS failStreak FROM workshops WHERE id = ?',
  );
  const setStuck = db.prepare('UPDATE workshops SET stuck_after_ms = ?, stuck_fail_streak = ? WHERE id = ?');

  const join = db.transaction((attendee: string, workshopId: string, name: string, now: number): JoinOutcome => {
    const w = fromRow(byId.get(workshopId));
    if (!w || !rules.joinable(w.state)) return { ok: false, why: 'not-open' };
    const member = membership.get(attendee)?.workshopId === workshopId;
    if (!member && !w.joinsOpen) return { ok: false, why: 'joins-closed' };
    if (!member && seats.get(workshopId)!.n >= w.maxAttendees) return { ok: false, why: 'full' };
    if (nameTaken.get(workshopId, name, attendee)) return { ok: false, why: 'name-taken' };
    // The one write of a join, after every check: a refused join leaves no row behind.
    try {
      upsertMember.run(attendee, now, now, workshopId, name);
    } catch (err) {
      if (isUniqueViolation(err)) return { ok: false, why: 'name-taken' };
      throw err;
    }
    if (!member) log.append(attendee, 'join', now, w.labId, null, name);
    return { ok: true, name };
  });
  const moveWorkshop = db.transaction((id: string, to: WorkshopState, now: number): boolean => {
    const from = stateOf.get(id)?.state;
    if (from === undefined || !rules.canMove(from, to)) return false;
    move.run(to, to, now, to, id);
    return true;
  });
  const setName = db.transaction((attendee: string, name: string, now: number): boolean => {
    touch(attendee, now);
    try {
      rename.run(name, attendee);
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  });

  return {
    createWorkshop(w, now = Date.now()) {
      for (;;) {
        const row: StoredWorkshop = { id: `w-${randomId()}`, ...w, code: rules.newCode(), state: 'open', joinsOpen: true, createdAt: now };
        try {
          insert.run(row.id, row.labId, row.title, row.code, row.maxAttendees, row.state, row.createdAt);
          return row;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
        }
      }
    },
    workshops: () => all.all().map((r) => fromRow(r)!),
    workshop: (id) => fromRow(byId.get(id)),
    workshopByCode: (code) => fromRow(byCode.get(code)),
    join(attendee, workshopId, name, now = Date.now()) {
      const outcome = join(attendee, workshopId, name, now);
      log.changed(attendee, outcome.ok);
      return outcome;
    },
    workshopOf: (attendee) => fromRow(ofAttendee.get(attendee)),
    members: (workshopId) => members.all(workshopId),
    setName: (attendee, name) => setName(attendee, name, Date.now()),
    nameOf: (attendee) => nameOf.get(attendee)?.name ?? null,
    moveWorkshop: (id, to, now = Date.now()) => moveWorkshop(id, to, now),
    setClosesAt: (id, at) => void setClosesAt.run(at, id),
    workshopTimes: (id) => times.get(id) ?? { closesAt: null, pausedAt: null },
    closingWorkshops: () => closing.all(),
    setJoinsOpen: (workshopId, open, now = Date.now()) => void setJoins.run(open ? 1 : 0, now, workshopId),
    stuckSettings(workshopId) {
      const row = stuck.get(workshopId);
      return row && row.stuckAfterMs !== null && row.failStreak !== null ? { stuckAfterMs: row.stuckAfterMs, failStreak: row.failStreak } : null;
    },
    setStuckSettings: (workshopId, settings) => void setStuck.run(settings.stuckAfterMs, settings.failStreak, workshopId),
  };
}

function randomId(): string {
  return randomBytes(9).toString('base64url');
}
