/**
 * A scenario's `details.assets`: the files the lab setup copies into every sandbox
 * (server/teach/assets.ts). Patterns are expanded here, when the lab loads, so the runtime copies
 * files; each file is checked by the confinement rule now, and again when it is copied.
 */
import path from 'node:path';
import type { LabAsset } from '../../../common/lab-model.js';
import { LabFileError, listLabFolder } from '../confine.js';
import { SCENARIO_FOLDER, type ScenarioFiles } from './files.js';
import type { Scenario } from './schema.js';

const MiB = 1024 * 1024;
/**
 * Killercoda assets are copied into every sandbox at its lab setup, through `Sandbox.exec` arguments
 * (server/teach/assets.ts): bounded per file and per scenario so a setup stays seconds, not minutes.
 */
export const MAX_ASSET_BYTES = 8 * MiB;
export const MAX_ASSETS_TOTAL = 16 * MiB;

/** The folder assets are named in. */
const ASSETS = 'assets';

/** The assets for labdeck's one sandbox (`host01`, Katacoda's `client`), each file read and bounded. */
export async function readAssets(data: Scenario, files: ScenarioFiles): Promise<LabAsset[]> {
  const assets: LabAsset[] = [];
  let assetBytes = 0;
  for (const [host, list] of Object.entries(data.details.assets ?? {})) {
    if (host !== 'host01' && host !== 'client') {
      files.warn(['details', 'assets', host], `labdeck has one sandbox: assets for "${host}" are not copied`);
      continue;
    }
    for (const [i, a] of list.entries()) {
      const p = ['details', 'assets', host, i, 'file'];
      // A pattern ("*", Katacoda's way to copy every asset) is expanded here, so the runtime copies files.
      let names = [a.file];
      if (/[*?[]/.test(a.file)) {
        try {
          names = await matchAssets(files.place.dir, a.file);
        } catch (err) {
          if (!(err instanceof LabFileError)) throw err;
          files.error(p, err.describe(SCENARIO_FOLDER));
          continue;
        }
      }
      if (names.length === 0) files.warn(p, `no file under assets/ matches "${a.file}"; nothing is copied`);
      for (const name of names) {
        const file = path.posix.join(ASSETS, name);
        const size = await files.size(file, p, MAX_ASSET_BYTES);
        if (size === undefined) continue;
        assetBytes += size;
        if (assetBytes > MAX_ASSETS_TOTAL) {
          files.error(p, `the scenario's assets add up to more than ${MAX_ASSETS_TOTAL / MiB} MiB, which labdeck copies into every sandbox`);
          break;
        }
        assets.push({ file, target: a.target, ...(a.chmod ? { chmod: a.chmod } : {}) });
      }
    }
  }
  return assets;
}

/**
 * The files under `assets/` of the lab folder `labDir` (relative paths, sorted) that a Killercoda asset
 * pattern names: `*` and `?` within one path segment, `**` across segments, `[…]` a character class.
 */
export async function matchAssets(labDir: string, pattern: string): Promise<string[]> {
  const source = pattern
    .split(/(\*\*\/?|\*|\?|\[[^\]]*\])/)
    .map((part) => {
      if (part === '**/') return '(?:.*/)?';
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      if (/^\[.*\]$/.test(part)) return part.replace(/^\[!/, '[^');
      return part.replace(/[.+^${}()|\\]/g, '\\$&');
    })
    .join('');
  const re = new RegExp(`^${source}$`);
  return (await listLabFolder(labDir, ASSETS)).filter((rel) => re.test(rel));
}
