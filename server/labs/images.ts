/**
 * Where a deck's images may come from: relative paths inside the lab folder, served from the lab's
 * assets URL. Anything else (`../x.png`, `/etc/x.png`, `https://…`) is a warning and only its alt text
 * is shown, since attendees may be offline and the server must not serve files outside the lab.
 */
import path from 'node:path';
import type { Token } from 'markdown-it';
import type { Report } from './diagnostics.js';

/** The lab whose images are being checked. */
export interface ImageScope {
  /** The lab's id, used in asset URLs. */
  id: string;
  /** Absolute folder of the lab; images must resolve inside it. */
  labDir: string;
  /** The deck's lines, to report an image at the column of its `![`. */
  lines: readonly string[];
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
      const rewritten = assetUrl(src, scope.id, scope.labDir);
      if (rewritten) {
        child.attrSet('src', rewritten);
        continue;
      }
      const [from = 0, to = 1] = t.map ?? [];
      const { line, column } = findImage(scope.lines, src, firstLine0 + from, firstLine0 + to);
      report('warning', line, column, `image "${src}" is not a relative path inside the lab folder; shown as its alt text`);
      child.type = 'text';
      child.content = child.content || src;
      child.children = null;
    }
  }
}

/** The URL an image `src` is served from, or undefined when it is not a relative path inside `labDir`. */
export function assetUrl(src: string, id: string, labDir: string): string | undefined {
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
  const abs = path.resolve(dir, normal);
  if (!abs.startsWith(dir + path.sep)) return undefined;
  const encoded = normal.split('/').map(encodeURIComponent).join('/');
  return `/labs/${encodeURIComponent(id)}/assets/${encoded}`;
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
