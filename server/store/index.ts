/**
 * The store's modules on one open database (issue 18 §3): each one idea, each filling the port its
 * consumer declares. This file only opens the file and builds them; main.ts hands each to its consumer.
 * store/ imports nothing of the server but itself: common/ and better-sqlite3 only
 * (scripts/check-imports.mjs, part of `npm run lint`).
 */
import { assignmentStore, type Assignments } from './assignments.js';
import { eventLog, type EventLog } from './events.js';
import { messageStore, type Messages } from './messages.js';
import { openDatabase, schemaVersion, secretStore, type Secrets } from './open.js';
import { progressStore, type Progress } from './progress.js';
import { readModels, type ReadModels } from './read-models.js';
import { workshopStore, type WorkshopRules, type Workshops } from './workshops.js';

export interface Store {
  readonly secrets: Secrets;
  readonly assignments: Assignments;
  readonly events: EventLog;
  readonly progress: Progress;
  readonly workshops: Workshops;
  readonly messages: Messages;
  readonly reads: ReadModels;
  /** The file's PRAGMA user_version. */
  schemaVersion(): number;
  close(): void;
}

/** Open (creating and migrating) `file`, ':memory:' for a throwaway store. */
export function openStore(file: string, rules: WorkshopRules): Store {
  const db = openDatabase(file);
  const events = eventLog(db);
  return {
    secrets: secretStore(db),
    assignments: assignmentStore(db),
    events,
    progress: progressStore(db, events),
    workshops: workshopStore(db, events, rules),
    messages: messageStore(db),
    reads: readModels(db),
    schemaVersion: () => schemaVersion(db),
    close: () => void db.close(),
  };
}
