/**
 * What a Killercoda or Katacoda `index.json` may hold (docs/lab-format.md "Killercoda and Katacoda
 * scenarios"), and reading it: JSON's own verdict, positions from the YAML parser (JSON is YAML), so
 * every problem is reported at its `file:line:column`.
 */
import { z } from 'zod';
import type { Report } from '../diagnostics.js';
import { isPlainObject, parseYamlAt, type PositionedYaml } from '../yaml-positions.js';

export const page = z
  .object({
    title: z.string().optional(),
    text: z.string().min(1).optional(),
    verify: z.string().min(1).optional(),
    background: z.string().min(1).optional(),
    foreground: z.string().min(1).optional(),
    // Katacoda's names for background and foreground, and its solution page.
    courseData: z.string().min(1).optional(),
    code: z.string().min(1).optional(),
    answer: z.string().min(1).optional(),
    credits: z.string().optional(),
  })
  .strict();
const asset = z.object({ file: z.string().min(1), target: z.string().min(1), chmod: z.string().optional() }).strict();
export const scenario = z
  .object({
    title: z.string().min(1),
    description: z.string().optional(),
    difficulty: z.string().optional(),
    time: z.string().optional(),
    details: z
      .object({
        intro: page.optional(),
        steps: z.array(page.extend({ text: z.string().min(1) })).default([]),
        finish: page.optional(),
        assets: z.record(z.string(), z.array(asset)).optional(),
      })
      .strict(),
    backend: z.object({ imageid: z.string().min(1) }).loose().optional(),
    interface: z.object({ layout: z.string().optional() }).loose().optional(),
    environment: z
      .object({ uilayout: z.string().optional(), showide: z.boolean().optional(), terminals: z.array(z.unknown()).optional() })
      .loose()
      .optional(),
    files: z.array(z.string()).optional(),
    pathwayTitle: z.string().optional(),
    icon: z.string().optional(),
    private: z.boolean().optional(),
    type: z.string().optional(),
  })
  .strict();
export type Page = z.infer<typeof page>;
export type Scenario = z.infer<typeof scenario>;
/** A place in index.json: the keys and indexes leading to a value. */
export type JsonPath = (string | number)[];

/**
 * The scenario in `text`, with the position of each value; undefined (with errors reported) when it
 * cannot be read. An unknown key is only a warning: Killercoda adds fields over time, and labdeck can
 * ignore them, so the scenario is read again without them.
 */
export function readScenario(text: string, report: Report): { data: Scenario; yaml: PositionedYaml } | undefined {
  const yaml = readIndex(text, report);
  if (!yaml) return undefined;
  const parsed = scenario.safeParse(yaml.value);
  if (parsed.success) return { data: parsed.data, yaml };
  for (const issue of parsed.error.issues) {
    const p = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
    const where = issue.code === 'unrecognized_keys' ? [...p, issue.keys[0] ?? ''] : p;
    const { line, column } = nearest(yaml, where);
    const message =
      issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    report(issue.code === 'unrecognized_keys' ? 'warning' : 'error', line, column, `index.json ${p.join('.') || '(top)'}: ${message}`);
  }
  const strictless = scenario.safeParse(stripUnknown(yaml.value));
  return strictless.success ? { data: strictless.data, yaml } : undefined;
}

/** Parses index.json: JSON's own verdict, with positions from the YAML parser (JSON is YAML). */
function readIndex(text: string, report: Report): PositionedYaml | undefined {
  try {
    JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const offset = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
    const before = text.slice(0, offset).split('\n');
    report('error', before.length, (before.at(-1)?.length ?? 0) + 1, `index.json is not valid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '')}`);
    return undefined;
  }
  const yaml = parseYamlAt(text, 0, 'index.json', report);
  if (yaml && !isPlainObject(yaml.value)) {
    report('error', 1, 1, 'index.json must be a JSON object with "title" and "details"');
    return undefined;
  }
  return yaml;
}

/** Drops unknown keys (already warned about) so the rest of the scenario can still be read. */
function stripUnknown(value: unknown): unknown {
  const known = (v: unknown, keys: string[]) =>
    isPlainObject(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => keys.includes(k))) : v;
  const pageKeys = Object.keys(page.shape);
  if (!isPlainObject(value)) return value;
  const top = known(value, Object.keys(scenario.shape)) as Record<string, unknown>;
  const details = known(top.details, ['intro', 'steps', 'finish', 'assets']);
  if (isPlainObject(details)) {
    if (details.intro !== undefined) details.intro = known(details.intro, pageKeys);
    if (details.finish !== undefined) details.finish = known(details.finish, pageKeys);
    if (Array.isArray(details.steps)) details.steps = details.steps.map((s) => known(s, pageKeys));
    if (isPlainObject(details.assets)) {
      details.assets = Object.fromEntries(
        Object.entries(details.assets).map(([host, list]) => [host, Array.isArray(list) ? list.map((a) => known(a, ['file', 'target', 'chmod'])) : list]),
      );
    }
    top.details = details;
  }
  return top;
}

/** The position of the value at `p`, or of the nearest enclosing one that has a position. */
export function nearest(yaml: PositionedYaml, p: JsonPath): { line: number; column: number } {
  for (let n = p.length; n > 0; n--) {
    const pos = yaml.nodePos(p.slice(0, n));
    if (pos) return pos;
  }
  return yaml.start;
}
