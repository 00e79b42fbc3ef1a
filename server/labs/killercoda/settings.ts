/**
 * `labdeck.yaml` beside index.json: what Killercoda has no field for (the tools the steps need,
 * `requireCheck`, a reset script), with the body of a deck's `<!-- labdeck` comment. A file of its own
 * rather than a key in index.json: Killercoda reads only the files index.json names, whereas whether
 * its importer tolerates an unknown index.json key is not documented.
 */
import type { ToolRequirement } from '../../../common/lab-model.js';
import { LabFileError, readLabText } from '../confine.js';
import { readMetadata } from '../metadata.js';
import { renderMarkdown } from '../render.js';
import type { LabTeach } from '../teach.js';
import { MAX_FILE_BYTES, SCENARIO_FOLDER, type ScenarioFiles } from './files.js';

/** labdeck's settings for a scenario, beside its index.json. */
export const SETTINGS_FILE = 'labdeck.yaml';

/**
 * The scenario's `labdeck.yaml`, if it has one: `tools`, `requireCheck` and `reset` into `lab`; `setup`
 * too unless the intro's background already is the lab setup. `step:` has no step to belong to here
 * (a scenario's steps take their check from `verify`), so it is a warning.
 */
export async function readSettings(files: ScenarioFiles, lab: LabTeach): Promise<{ tools: ToolRequirement[] }> {
  let text: string;
  try {
    ({ text } = await readLabText(files.place.dir, SETTINGS_FILE, MAX_FILE_BYTES));
  } catch (err) {
    if (!(err instanceof LabFileError)) throw err;
    if (err.refusal === 'missing') return { tools: [] };
    const message = err.refusal === 'outside' ? err.describe(SCENARIO_FOLDER) : `${SETTINGS_FILE} must be a file of at most ${MAX_FILE_BYTES / 1024} KiB`;
    files.diagnosticsOf(SETTINGS_FILE).report('error', 1, 1, message.replace(`"${SETTINGS_FILE}"`, SETTINGS_FILE));
    return { tools: [] };
  }
  const diagnostics = files.diagnosticsOf(SETTINGS_FILE);
  const meta = readMetadata(text, 0, files.rel(SETTINGS_FILE), diagnostics.report, (md) => renderMarkdown(md, () => {}));
  if (meta.stepPos) {
    diagnostics.report('warning', meta.stepPos.line, meta.stepPos.column, `"step" has no step to belong to in ${SETTINGS_FILE}: a scenario's steps take their check from "verify" in index.json; ignored`);
  }
  if (meta.lab.setup && lab.setup) {
    diagnostics.report('warning', meta.lab.setup.line, 1, `the intro's background script is already the lab setup; ${SETTINGS_FILE}'s "setup" is ignored`);
  } else if (meta.lab.setup) {
    lab.setup = meta.lab.setup;
  }
  if (meta.lab.reset) lab.reset = meta.lab.reset;
  if (meta.lab.requireCheck !== undefined) lab.requireCheck = meta.lab.requireCheck;
  return { tools: meta.tools };
}
