/**
 * What a scenario asks of Killercoda that labdeck's one terminal in one sandbox cannot give (another
 * machine image, an IDE or editor tab, more terminals): a warning each, at its place in index.json,
 * and the rest of the scenario works.
 */
import type { ScenarioFiles } from './files.js';
import type { Scenario } from './schema.js';

/** The image labdeck's sandbox stands in for: a plain Linux machine with podman. */
const PLAIN_IMAGES = new Set(['ubuntu', 'ubuntu-4gb', 'ubuntu:2004', 'ubuntu:1804', 'ubuntu:2204', 'ubuntu:2404', 'debian']);

export function warnUnsupported(data: Scenario, files: ScenarioFiles): void {
  if (data.backend && !PLAIN_IMAGES.has(data.backend.imageid.toLowerCase())) {
    files.warn(['backend', 'imageid'], `labdeck has no image for backend.imageid "${data.backend.imageid}": the scenario runs in labdeck's sandbox, without what that image provides`);
  }
  const layout = data.interface?.layout ?? data.environment?.uilayout;
  if (layout && layout !== 'terminal') {
    files.warn(data.interface?.layout ? ['interface', 'layout'] : ['environment', 'uilayout'], `layout "${layout}" needs an editor or IDE tab, which labdeck does not have: the terminal is shown alone`);
  }
  if (data.environment?.showide) files.warn(['environment', 'showide'], 'labdeck has no IDE tab; showide is ignored');
  if (data.environment?.terminals?.length) files.warn(['environment', 'terminals'], 'labdeck has one terminal; extra terminals are not opened');
  if (data.files?.length) files.warn(['files'], 'labdeck has no editor; files are not opened');
}
