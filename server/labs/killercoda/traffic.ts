/**
 * Killercoda's `{{TRAFFIC_HOST1_<port>}}` (a URL that reaches a port of the scenario's host through
 * Killercoda's proxy) and Katacoda's `https://[[HOST_SUBDOMAIN]]-<port>-[[KATACODA_HOST]].environments.katacoda.com`.
 * labdeck does not forward a sandbox's ports, so the honest stand-in is `http://localhost:<port>`:
 * right for a command run in the terminal (`curl` inside the sandbox), and in the browser only when
 * labdeck runs on the attendee's own machine with the local driver. Each place is a warning saying
 * so. `{{TRAFFIC_SELECTOR}}` (Killercoda's list of ports) has no stand-in: a link to it becomes its text.
 */
import type { Report } from '../diagnostics.js';

const KILLERCODA_TRAFFIC = /\{\{TRAFFIC_HOST(\d+)_(\d+)\}\}/g;
/** A link to the port selector keeps its text; a bare selector placeholder goes. */
const KILLERCODA_SELECTOR = /\[([^\]]*)\]\(\{\{TRAFFIC_SELECTOR\}\}\)|\{\{TRAFFIC_SELECTOR\}\}/g;
const KATACODA_TRAFFIC =
  /(?:https?:\/\/)?((?:[A-Za-z0-9-]+\.)*)\[\[HOST(\d*)_SUBDOMAIN\]\]-(\d+)-\[\[KATACODA_HOST\]\]\.(?:environments\.katacoda\.com|\[\[KATACODA_DOMAIN\]\])/g;
/** Any other Katacoda placeholder (`[[HOST_IP]]`, a lone `[[KATACODA_HOST]]` …): no value in labdeck. */
const KATACODA_PLACEHOLDER = /\[\[(HOST\d*_SUBDOMAIN|HOST\d*_IP|KATACODA_HOST|KATACODA_DOMAIN)\]\]/g;

const NOT_FORWARDED = "labdeck does not forward the sandbox's ports: it shows";
const WHERE_LOCALHOST = 'which reaches the sandbox from its terminal, and from the browser only when labdeck runs on the same machine with the local driver';

/** `lines` with the traffic placeholders replaced, a warning at each. */
export function replaceTraffic(lines: string[], report: Report): string[] {
  return lines.map((line, i) => {
    const warn = (column: number, message: string) => report('warning', i + 1, column + 1, message);
    let out = line.replace(KILLERCODA_SELECTOR, (written, text: string | undefined, at: number) => {
      warn(at, `${written} links to Killercoda's port selector, which labdeck does not have: ${text === undefined ? 'left out' : 'shown as plain text'}`);
      return text ?? '';
    });
    out = out.replace(KILLERCODA_TRAFFIC, (written, host: string, port: string, at: number) => {
      const other = host === '1' ? '' : ` (labdeck has one host: host ${host}'s port is not there)`;
      warn(at, `${written}: ${NOT_FORWARDED} http://localhost:${port}, ${WHERE_LOCALHOST}${other}`);
      return `http://localhost:${port}`;
    });
    out = out.replace(KATACODA_TRAFFIC, (written, prefix: string, host: string, port: string, at: number) => {
      const lost = prefix ? ` (the host name "${prefix}…" is dropped: nothing routes it)` : '';
      const other = host === '' || host === '1' ? '' : ` (labdeck has one host: host ${host}'s port is not there)`;
      warn(at, `${written}: ${NOT_FORWARDED} http://localhost:${port}, ${WHERE_LOCALHOST}${lost}${other}`);
      return `http://localhost:${port}`;
    });
    for (const m of out.matchAll(KATACODA_PLACEHOLDER)) {
      warn(line.indexOf(m[0]) >= 0 ? line.indexOf(m[0]) : m.index, `Katacoda's ${m[0]} has no value in labdeck: shown as written`);
    }
    return out;
  });
}
