/**
 * Where a deck's images may come from: relative paths inside the lab folder, served from the lab's
 * assets URL. Anything else (`../x.png`, `/etc/x.png`, `https://…`) is a warning and only its alt text
 * is shown, since attendees may be offline and the server must not serve files outside the lab.
 *
 * Rendering is pure (no file system): it rewrites each image and lists it in `scope.images`; the
 * loader then holds each listed file to the confinement rule (confine.ts, issue 17 §1), where an image
 * whose real path leads out of the lab (a symlink) is an error, like any file a lab names.
 */
import path from 'node:path';
import type { Token } from 'markdown-it';
import { checkLabFile } from './confine.js';
import type { Report } from './diagnostics.js';

/** An image a page shows: its path in the lab folder, and where the page names it. */
export interface ImageRef {
  file: string;
  line: number;
  column: number;
}

/** The lab whose images are being checked. */
export interface ImageScope {
  /** The lab's id, used in asset URLs. */
  id: string;
  /** Absolute folder of the lab; images must resolve inside it. */
  labDir: string;
  /** The deck's lines, to report an image at the column of its `![`. */
  lines: readonly string[];
  /** Every image rewritten to its asset URL is added here, for `confineImages`. */
  images?: ImageRef[];
}

/**
 * Rewrites every image of rendered `tokens` (from deck lines starting at 0-based `firstLine0`) to its
 * asset URL, or, when it is not inside the lab folder, to its alt text with a warning.
 */
export function rewriteImages(tokens: Token[], firstLine0: number, scope: ImageScope, report: Report): void {
  for (const t of tokens) {
    if (t.type !== 'inline' || !t.children) continue;
    for (const child of t.children) {
      if (child.type !== 'image') continue;
      const src = String(child.attrGet('src') ?? '');
      const [from = 0, to = 1] = t.map ?? [];
      const { line, column } = findImage(scope.lines, src, firstLine0 + from, firstLine0 + to);
      const file = imagePath(src, scope.labDir);
      if (file !== undefined) {
        child.attrSet('src', `/labs/${encodeURIComponent(scope.id)}/assets/${file.split('/').map(encodeURIComponent).join('/')}`);
        scope.images?.push({ file, line, column });
        continue;
      }
      report('warning', line, column, `image "${src}" is not a relative path inside the lab folder; shown as its alt text`);
      child.type = 'text';
      child.content = child.content || src;
      child.children = null;
    }
  }
}

/** The URL an image `src` is served from, or undefined when it is not a relative path inside `labDir`. */
export function assetUrl(src: string, id: string, labDir: string): string | undefined {
  const file = imagePath(src, labDir);
  return file === undefined ? undefined : `/labs/${encodeURIComponent(id)}/assets/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** The lab-relative path an image `src` names, when it is a relative path inside `labDir` as written. */
function imagePath(src: string, labDir: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(src.replace(/[?#].*$/, ''));
  } catch {
    return undefined;
  }
  if (rel === '' || /^[a-z][a-z0-9+.-]*:/i.test(rel) || rel.startsWith('/') || rel.includes('\\')) return undefined;
  const normal = path.posix.normalize(rel);
  if (normal === '..' || normal.startsWith('../')) return undefined;
  const dir = path.resolve(labDir);
  if (!path.resolve(dir, normal).startsWith(dir + path.sep)) return undefined;
  return normal;
}

/**
 * Holds each image a page shows to the confinement rule: one whose real path leads out of the lab is
 * an error at the line that shows it. A missing image is left to the asset route (a 404), as before.
 */
export async function confineImages(labDir: string, images: readonly ImageRef[], report: Report): Promise<void> {
  const seen = new Set<string>();
  for (const image of images) {
    if (seen.has(`${image.file}\0${image.line}`)) continue;
    seen.add(`${image.file}\0${image.line}`);
    const refused = await checkLabFile(labDir, image.file);
    if (refused?.refusal === 'outside') report('error', image.line, image.column, `image ${refused.message}: a lab shows only its own files`);
  }
}

/** 1-based position of the `![` of the image whose target is `src`, searched in lines [from, to). */
function findImage(lines: readonly string[], src: string, from: number, to: number): { line: number; column: number } {
  for (let l = from; l < to; l++) {
    const text = lines[l] ?? '';
    const target = text.indexOf(`](${src}`);
    if (target >= 0) return { line: l + 1, column: Math.max(text.lastIndexOf('![', target) + 1, 1) };
  }
  return { line: from + 1, column: Math.max((lines[from] ?? '').indexOf('![') + 1, 1) };
}
