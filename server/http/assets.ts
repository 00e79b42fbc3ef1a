/**
 * Lab images, `GET /labs/<id>/assets/<path>` (issue 8, item 6). A lab is content from somewhere else, so
 * its files are untrusted on labdeck's origin:
 * - only the images the deck itself shows are served (for a top-level `.md` deck, whose folder is all of
 *   LABS_DIR, that is what keeps the other labs' files out of reach);
 * - the file is opened through the one confinement rule (server/labs/confine.ts, issue 17 §1): its real
 *   path (symlinks resolved) inside the lab's real folder, checked again at each request;
 * - every asset carries a sandboxing CSP, so an SVG's `<script>` never runs as labdeck.
 */
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Block, Lab } from '../../common/lab-model.js';
import type { LabCatalog } from '../labs/catalog.js';
import { confinedFile, type ConfinedFile } from '../labs/confine.js';

const ASSET_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
};

/**
 * Opened as a document, an asset is a sandboxed page with no scripts, plugins, forms or fetches; shown
 * through `<img>` (how labs use them) none of this applies and the image renders as before.
 */
export const ASSET_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

const referenced = new WeakMap<Lab, Set<string>>();

/** The lab-relative paths of the images the deck shows (the parser rewrote each to its assets URL). */
export function referencedAssets(lab: Lab): Set<string> {
  let set = referenced.get(lab);
  if (set) return set;
  set = new Set();
  const prefix = `/labs/${encodeURIComponent(lab.id)}/assets/`;
  const visit = (blocks: Block[]): void => {
    for (const b of blocks) {
      if (b.kind === 'columns') b.columns.forEach(visit);
      if (b.kind !== 'markdown') continue;
      for (const m of b.html.matchAll(/<img src="([^"]+)"/g)) {
        if (!m[1]!.startsWith(prefix)) continue;
        const rel = safeDecode(m[1]!.slice(prefix.length));
        if (rel !== null) set.add(rel);
      }
    }
  };
  for (const step of lab.steps) visit(step.blocks);
  referenced.set(lab, set);
  return set;
}

/** decodeURIComponent, with null for a malformed escape instead of a throw. */
export function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ error: 'no such asset' }));
}

export async function serveAsset(res: ServerResponse, labs: LabCatalog, labId: string, rel: string): Promise<void> {
  const lab = labs.lab(labId);
  const type = ASSET_TYPES[path.extname(rel).toLowerCase()];
  if (!lab || !type || !referencedAssets(lab).has(rel)) return notFound(res);
  let file: ConfinedFile;
  try {
    file = await confinedFile(path.resolve(labs.dir, path.dirname(lab.source)), rel);
  } catch {
    return notFound(res);
  }
  const { handle } = file;
  try {
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': file.size,
      'Cache-Control': 'public, max-age=300',
      'Content-Security-Policy': ASSET_CSP,
    });
    // A client that goes away mid-file destroys both ends; there is no one left to answer.
    await pipeline(handle.createReadStream({ autoClose: false }), res).catch(() => undefined);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
