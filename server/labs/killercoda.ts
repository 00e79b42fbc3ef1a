/**
 * Killercoda (and legacy Katacoda) scenarios as labdeck labs: a folder in LABS_DIR holding an
 * `index.json`. What the format is, learnt from Killercoda's documentation and its
 * `killercoda/scenario-examples` repository (index.json with `details.intro`, `details.steps[]`,
 * `details.finish`, each with `text`, `verify`, `background`, `foreground`; `details.assets`;
 * `backend.imageid`; `interface.layout`; the markdown actions of its `code-actions` example; the port
 * links `{{TRAFFIC_HOST1_<port>}}` and `{{TRAFFIC_SELECTOR}}` of its `network-traffic` example), and from
 * Katacoda's "Understanding Katacoda's index.json" page (`courseData`, `code`, `answer`,
 * `environment.uilayout`, assets for `host01`/`client`) and its markdown extensions (`{{execute}}`,
 * `{{execute T2}}`, `{{execute interrupt}}`, `{{copy}}`, `{{open}}`, the port URL
 * `https://[[HOST_SUBDOMAIN]]-<port>-[[KATACODA_HOST]].environments.katacoda.com`).
 *
 * What it becomes: `verify` is the step's check, `background` (Katacoda `courseData`) the step's setup,
 * `foreground` (Katacoda `code`) is typed into the terminal when the step is entered; the intro's
 * `background` is the lab's setup. What labdeck cannot do (a second terminal or host, an IDE tab, an
 * image it does not have) is a warning on the lab, and the rest works.
 *
 * This file puts the parts together (issue 18 §9), each in killercoda/:
 * - schema.ts: what index.json may hold, read with the position of every value;
 * - files.ts: the files it names, read through the confinement rule (../confine.ts), errors at their line;
 * - unsupported.ts: what labdeck cannot give (another image, an IDE, more terminals): warnings;
 * - assets.ts: the files the lab setup copies, patterns expanded, sizes bounded;
 * - steps.ts: the pages become steps, their scripts checks and setups;
 * - page.ts, actions.ts, traffic.ts: a page's markdown, its `{{exec}}` actions, its port links;
 * - settings.ts: labdeck.yaml, what Killercoda has no field for (tools, requireCheck, reset).
 */
import path from 'node:path';
import type { LabDiagnostic } from '../../common/lab-model.js';
import { readLabText } from './confine.js';
import { Diagnostics } from './diagnostics.js';
import type { ParseDeckResult } from './parse.js';
import { labScripts } from './teach.js';
import { undeclaredTools } from './tools-used.js';
import { readAssets } from './killercoda/assets.js';
import { MAX_FILE_BYTES, ScenarioFiles, type ScenarioPlace } from './killercoda/files.js';
import { readScenario } from './killercoda/schema.js';
import { readSettings } from './killercoda/settings.js';
import { readSteps } from './killercoda/steps.js';
import { warnUnsupported } from './killercoda/unsupported.js';

export { MAX_ASSET_BYTES, MAX_ASSETS_TOTAL, matchAssets } from './killercoda/assets.js';
export { readAction } from './killercoda/actions.js';
export { replaceTraffic } from './killercoda/traffic.js';
export { SETTINGS_FILE } from './killercoda/settings.js';

export type ImportScenarioOptions = ScenarioPlace;

/**
 * Imports the scenario in `opts.dir`; never throws for bad content, only reports it. A file it cannot
 * read at all (index.json outside the folder, say) throws, and the loader reports that.
 */
export async function importScenario(opts: ImportScenarioOptions): Promise<ParseDeckResult> {
  const index = new Diagnostics(path.posix.join(opts.relDir, 'index.json'));
  const { text } = await readLabText(opts.dir, 'index.json', MAX_FILE_BYTES);
  const read = readScenario(text, index.report);
  if (!read) return { diagnostics: index.sorted() };
  const files = new ScenarioFiles(opts, read.yaml, index.report);
  const { data } = read;

  warnUnsupported(data, files);
  const assets = await readAssets(data, files);
  const pages = await readSteps(data, files);
  const { steps, lab } = pages;
  if (steps.length === 0) files.error(['details'], 'the scenario has no intro, steps or finish with a text');
  const settings = await readSettings(files, lab);
  undeclaredTools(steps, settings.tools, (s) => pages.reportOf.get(s) ?? index.report);
  const scripts = labScripts(lab, pages.scripts, assets);

  const diagnostics = [...index.sorted(), ...files.otherDiagnostics()];
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    diagnostics,
    parsed: {
      lab: {
        id: opts.id,
        title: data.title,
        ...(data.description ? { description: data.description } : {}),
        authors: [],
        source: files.rel('index.json'),
        format: 'killercoda',
        steps,
        tools: settings.tools,
        requireCheck: lab.requireCheck ?? false,
        // Assets are copied by the lab setup: the page must ask for it even without a setup script.
        hasSetup: scripts.setup !== undefined || scripts.assets.length > 0,
        hasReset: scripts.reset !== undefined,
        warnings: diagnostics satisfies LabDiagnostic[],
      },
      notes: pages.notes,
      scripts,
    },
  };
}
