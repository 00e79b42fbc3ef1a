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
 * What Killercoda has no field for (the tools the steps need, `requireCheck`, a reset script) goes in
 * `labdeck.yaml` beside index.json, with the body of a deck's `<!-- labdeck` comment. A file of its
 * own rather than a key in index.json: Killercoda reads only the files index.json names, whereas
 * whether its importer tolerates an unknown index.json key is not documented.
 */
import { access, constants, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Token } from 'markdown-it';
import { z } from 'zod';
import type { Block, CodeBlock, LabAsset, LabDiagnostic, LabScript, Step, StepNotes, ToolRequirement } from '../../common/lab-model.js';
import { Diagnostics, type Report } from './diagnostics.js';
import { rewriteImages } from './images.js';
import type { ParseDeckResult } from './parse.js';
import { highlight, renderMarkdown, structureMd } from './render.js';
import { readMetadata } from './metadata.js';
import { DEFAULT_TIMEOUT, labScripts, stepScripts, teachFields, type LabTeach, type StepTeach } from './teach.js';
import { undeclaredTools } from './tools-used.js';
import { isPlainObject, parseYamlAt, type PositionedYaml } from './yaml-positions.js';

export interface ImportScenarioOptions {
  id: string;
  /** Absolute folder of the scenario. */
  dir: string;
  /** The folder relative to LABS_DIR, as diagnostics show it. */
  relDir: string;
}

/** A scenario's page or script larger than this is refused: it is read whole, and sent to every attendee. */
const MAX_FILE_BYTES = 1024 * 1024;

const MiB = 1024 * 1024;
/**
 * Killercoda assets are copied into every sandbox at its lab setup, through `Sandbox.exec` arguments
 * (server/teach/assets.ts): bounded per file and per scenario so a setup stays seconds, not minutes.
 */
export const MAX_ASSET_BYTES = 8 * MiB;
export const MAX_ASSETS_TOTAL = 16 * MiB;

/** labdeck's settings for a scenario, beside its index.json (see the header). */
export const SETTINGS_FILE = 'labdeck.yaml';

/** The image labdeck's sandbox stands in for: a plain Linux machine with podman. */
const PLAIN_IMAGES = new Set(['ubuntu', 'ubuntu-4gb', 'ubuntu:2004', 'ubuntu:1804', 'ubuntu:2204', 'ubuntu:2404', 'debian']);

const page = z
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
const scenario = z
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
type Page = z.infer<typeof page>;

/** Imports the scenario in `opts.dir`; never throws for bad content, only reports it. */
export async function importScenario(opts: ImportScenarioOptions): Promise<ParseDeckResult> {
  const rel = (file: string) => path.posix.join(opts.relDir, file);
  const indexFile = rel('index.json');
  const index = new Diagnostics(indexFile);
  const files: Diagnostics[] = [];
  const done = (parsed?: ParseDeckResult['parsed']): ParseDeckResult => {
    const diagnostics = [index, ...files].flatMap((d) => d.sorted());
    const failed = diagnostics.some((d) => d.severity === 'error');
    return failed || !parsed ? { diagnostics } : { diagnostics, parsed: { ...parsed, lab: { ...parsed.lab, warnings: diagnostics } } };
  };

  const text = await readFile(path.join(opts.dir, 'index.json'), 'utf8');
  const yaml = readIndex(text, index.report);
  if (!yaml) return done();
  const parsed = scenario.safeParse(yaml.value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
      const where = issue.code === 'unrecognized_keys' ? [...p, issue.keys[0] ?? ''] : p;
      const { line, column } = nearest(yaml, where);
      const message =
        issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
      // An unknown key is only a warning: Killercoda adds fields over time, and labdeck can ignore them.
      index.report(issue.code === 'unrecognized_keys' ? 'warning' : 'error', line, column, `index.json ${p.join('.') || '(top)'}: ${message}`);
    }
    const strictless = scenario.safeParse(stripUnknown(yaml.value));
    if (!strictless.success) return done();
    return done(await build(strictless.data, yaml, opts, index.report, files));
  }
  return done(await build(parsed.data, yaml, opts, index.report, files));
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

function nearest(yaml: PositionedYaml, p: (string | number)[]): { line: number; column: number } {
  for (let n = p.length; n > 0; n--) {
    const pos = yaml.nodePos(p.slice(0, n));
    if (pos) return pos;
  }
  return yaml.start;
}

async function build(
  data: z.infer<typeof scenario>,
  yaml: PositionedYaml,
  opts: ImportScenarioOptions,
  report: Report,
  files: Diagnostics[],
): Promise<NonNullable<ParseDeckResult['parsed']>> {
  const at = (p: (string | number)[]) => nearest(yaml, p);
  const warn = (p: (string | number)[], message: string) => {
    const { line, column } = at(p);
    report('warning', line, column, message);
  };
  const rel = (file: string) => path.posix.join(opts.relDir, file);

  /** A file the scenario names, inside its folder, or undefined with an error at `p`. */
  const locate = async (file: string, p: (string | number)[], maxBytes = MAX_FILE_BYTES): Promise<string | undefined> => {
    const abs = path.resolve(opts.dir, file);
    const { line, column } = at(p);
    if (!abs.startsWith(path.resolve(opts.dir) + path.sep)) {
      report('error', line, column, `"${file}" is outside the scenario folder`);
      return undefined;
    }
    const info = await stat(abs).catch(() => undefined);
    if (!info?.isFile()) {
      report('error', line, column, `"${file}" does not exist in the scenario folder`);
      return undefined;
    }
    if (info.size > maxBytes) {
      report('error', line, column, `"${file}" is larger than ${maxBytes / 1024} KiB`);
      return undefined;
    }
    return abs;
  };
  /** A script's text; Killercoda runs scripts as executables, so a missing execute bit is a warning. */
  const script = async (file: string | undefined, p: (string | number)[], timeoutSeconds: number): Promise<LabScript | undefined> => {
    if (file === undefined) return undefined;
    const abs = await locate(file, p);
    if (!abs) return undefined;
    try {
      await access(abs, constants.X_OK);
    } catch {
      warn(p, `script "${file}" is not executable (chmod +x ${file}); labdeck runs it with bash anyway`);
    }
    return { source: await readFile(abs, 'utf8'), timeoutSeconds, file: rel(file), line: 1 };
  };

  if (data.backend && !PLAIN_IMAGES.has(data.backend.imageid.toLowerCase())) {
    warn(['backend', 'imageid'], `labdeck has no image for backend.imageid "${data.backend.imageid}": the scenario runs in labdeck's sandbox, without what that image provides`);
  }
  const layout = data.interface?.layout ?? data.environment?.uilayout;
  if (layout && layout !== 'terminal') {
    warn(data.interface?.layout ? ['interface', 'layout'] : ['environment', 'uilayout'], `layout "${layout}" needs an editor or IDE tab, which labdeck does not have: the terminal is shown alone`);
  }
  if (data.environment?.showide) warn(['environment', 'showide'], 'labdeck has no IDE tab; showide is ignored');
  if (data.environment?.terminals?.length) warn(['environment', 'terminals'], 'labdeck has one terminal; extra terminals are not opened');
  if (data.files?.length) warn(['files'], 'labdeck has no editor; files are not opened');

  const assets: LabAsset[] = [];
  let assetBytes = 0;
  const assetsDir = path.join(opts.dir, 'assets');
  for (const [host, list] of Object.entries(data.details.assets ?? {})) {
    if (host !== 'host01' && host !== 'client') {
      warn(['details', 'assets', host], `labdeck has one sandbox: assets for "${host}" are not copied`);
      continue;
    }
    for (const [i, a] of list.entries()) {
      const p = ['details', 'assets', host, i, 'file'];
      // A pattern ("*", Katacoda's way to copy every asset) is expanded here, so the runtime copies files.
      const names = /[*?[]/.test(a.file) ? await matchAssets(assetsDir, a.file) : [a.file];
      if (names.length === 0) warn(p, `no file under assets/ matches "${a.file}"; nothing is copied`);
      for (const name of names) {
        const file = path.posix.join('assets', name);
        const abs = await locate(file, p, MAX_ASSET_BYTES);
        if (!abs) continue;
        assetBytes += (await stat(abs)).size;
        if (assetBytes > MAX_ASSETS_TOTAL) {
          const { line, column } = at(p);
          report('error', line, column, `the scenario's assets add up to more than ${MAX_ASSETS_TOTAL / MiB} MiB, which labdeck copies into every sandbox`);
          break;
        }
        assets.push({ file, target: a.target, ...(a.chmod ? { chmod: a.chmod } : {}) });
      }
    }
  }

  const steps: Step[] = [];
  const notes: StepNotes[] = [];
  const stepFiles = new Map<Step, Report>();
  const scriptsPerStep: ReturnType<typeof stepScripts>[] = [];
  const lab: LabTeach = {};
  const pages: { page: Page; p: (string | number)[]; fallback: string }[] = [
    ...(data.details.intro ? [{ page: data.details.intro, p: ['details', 'intro'], fallback: 'Introduction' }] : []),
    ...data.details.steps.map((s, i) => ({ page: s, p: ['details', 'steps', i], fallback: `Step ${i + 1}` })),
    ...(data.details.finish ? [{ page: data.details.finish, p: ['details', 'finish'], fallback: 'Finish' }] : []),
  ];
  for (const { page: pg, p, fallback } of pages) {
    const intro = p[1] === 'intro';
    const background = await script(pg.background ?? pg.courseData, [...p, pg.background ? 'background' : 'courseData'], intro ? DEFAULT_TIMEOUT.labSetup : DEFAULT_TIMEOUT.stepSetup);
    const foreground = await script(pg.foreground ?? pg.code, [...p, pg.foreground ? 'foreground' : 'code'], DEFAULT_TIMEOUT.stepSetup);
    const verify = await script(pg.verify, [...p, 'verify'], DEFAULT_TIMEOUT.check);
    if (intro && background) lab.setup = background;
    if (!pg.text && !foreground) continue;
    const index = steps.length;
    const teach: StepTeach = { hints: [] };
    if (verify) teach.check = verify;
    if (background && !intro) teach.setup = background;
    if (foreground) teach.typeOnEnter = foreground.source.replace(/^#!.*\n/, '').replace(/\n+$/, '');
    let blocks: Block[] = [];
    let title = pg.title;
    const diagnostics = new Diagnostics(pg.text ? rel(pg.text) : rel('index.json'));
    files.push(diagnostics);
    if (pg.text) {
      const abs = await locate(pg.text, [...p, 'text']);
      if (abs) {
        const page = readPage(await readFile(abs, 'utf8'), index, { id: opts.id, labDir: opts.dir }, diagnostics.report);
        blocks = page.blocks;
        title ??= page.heading;
      }
    }
    if (pg.answer) {
      const abs = await locate(pg.answer, [...p, 'answer']);
      if (abs) teach.hints.push(renderAnswer(await readFile(abs, 'utf8'), { id: opts.id, labDir: opts.dir }, diagnostics.report));
    }
    const code = blocks.flatMap((b) => (b.kind === 'code' ? [b] : []));
    const step: Step = {
      index,
      title: title ?? fallback,
      blocks,
      commands: code.filter((b) => b.runnable).map((b) => b.run),
      ...teachFields(teach),
      line: 1,
    };
    steps.push(step);
    stepFiles.set(step, diagnostics.report);
    notes.push({ index, speakerNotes: [] });
    scriptsPerStep.push(stepScripts(index, teach));
  }
  if (steps.length === 0) report('error', at(['details']).line, at(['details']).column, 'the scenario has no intro, steps or finish with a text');
  const settings = await readSettings(opts, lab, files);
  undeclaredTools(steps, settings.tools, (s) => stepFiles.get(s) ?? report);
  const scripts = labScripts(lab, scriptsPerStep, assets);
  return {
    lab: {
      id: opts.id,
      title: data.title,
      ...(data.description ? { description: data.description } : {}),
      authors: [],
      source: rel('index.json'),
      format: 'killercoda',
      steps,
      tools: settings.tools,
      requireCheck: lab.requireCheck ?? false,
      // Assets are copied by the lab setup: the page must ask for it even without a setup script.
      hasSetup: scripts.setup !== undefined || scripts.assets.length > 0,
      hasReset: scripts.reset !== undefined,
      warnings: [] as LabDiagnostic[],
    },
    notes,
    scripts,
  };
}

/**
 * The files under `assets/` (relative paths, sorted) that a Killercoda asset pattern names: `*` and
 * `?` within one path segment, `**` across segments, `[…]` a character class.
 */
export async function matchAssets(assetsDir: string, pattern: string): Promise<string[]> {
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
  const entries = await readdir(assetsDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(assetsDir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((rel) => re.test(rel))
    .sort();
}

/**
 * The scenario's `labdeck.yaml`, if it has one: `tools`, `requireCheck` and `reset` into `lab`; `setup`
 * too unless the intro's background already is the lab setup. `step:` has no step to belong to here
 * (a scenario's steps take their check from `verify`), so it is a warning.
 */
async function readSettings(opts: ImportScenarioOptions, lab: LabTeach, files: Diagnostics[]): Promise<{ tools: ToolRequirement[] }> {
  const abs = path.join(opts.dir, SETTINGS_FILE);
  const info = await stat(abs).catch(() => undefined);
  if (!info) return { tools: [] };
  const file = path.posix.join(opts.relDir, SETTINGS_FILE);
  const diagnostics = new Diagnostics(file);
  files.push(diagnostics);
  if (!info.isFile() || info.size > MAX_FILE_BYTES) {
    diagnostics.report('error', 1, 1, `${SETTINGS_FILE} must be a file of at most ${MAX_FILE_BYTES / 1024} KiB`);
    return { tools: [] };
  }
  const text = await readFile(abs, 'utf8');
  const meta = readMetadata(text, 0, file, diagnostics.report, (md) => renderMarkdown(md, () => {}));
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

/** One action after a code span or a closing fence: `{{exec}}`, `{{execute T2}}`, `{{copy}}`, `{{}}`… */
interface Action {
  runnable: boolean;
  interrupt: boolean;
  copy: boolean;
  /** Why labdeck does part of it differently; a warning at the action. */
  warning?: string;
}

/** What an action's words mean (`exec interrupt`, `execute T2`, `copy`, '' …). */
export function readAction(words: string): Action {
  const parts = words.trim().split(/\s+/).filter(Boolean);
  const [verb, ...rest] = parts;
  if (verb === undefined) return { runnable: false, interrupt: false, copy: false };
  if (verb === 'copy' && rest.length === 0) return { runnable: false, interrupt: false, copy: true };
  if (verb === 'open') return { runnable: false, interrupt: false, copy: true, warning: '{{open}} opens a file in an editor, which labdeck does not have: shown as code' };
  if (verb !== 'exec' && verb !== 'execute') return { runnable: false, interrupt: false, copy: true, warning: `unknown action {{${words.trim()}}}: shown as code` };
  const action: Action = { runnable: true, interrupt: false, copy: true };
  for (const word of rest) {
    if (word === 'interrupt') action.interrupt = true;
    else if (/^(T|HOST)1$/i.test(word)) continue;
    else if (/^(T|HOST)\d+$/i.test(word)) action.warning = `labdeck has one terminal on one host: {{${words.trim()}}} runs in it`;
    else if (word === 'ctrl-seq') return { runnable: false, interrupt: false, copy: true, warning: '{{execute ctrl-seq}} is not supported by labdeck: press the keys in the terminal' };
    else return { runnable: false, interrupt: false, copy: true, warning: `unknown action {{${words.trim()}}}: shown as code` };
  }
  return action;
}

interface PageScope {
  id: string;
  labDir: string;
}

/**
 * A step's markdown: top-level fences become code blocks (a closing fence may carry an action,
 * "```{{exec}}"), the markdown between them is rendered, and an action after a code span (or on a
 * fence nested in a list) stays where it is written, marked `data-labdeck-block`, with an inline
 * CodeBlock after its markdown block.
 */
function readPage(text: string, stepIndex: number, scope: PageScope, report: Report): { blocks: Block[]; heading?: string } {
  const lines = replaceTraffic(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n'), report);
  const original = [...lines];
  const fenceActions = stripFenceActions(lines);
  const blocks: Block[] = [];
  let n = 0;
  const nextId = () => `s${stepIndex}-b${++n}`;
  const tokens = structureMd.parse(lines.join('\n'), {});
  let heading: string | undefined;
  let chunkStart: number | undefined;
  let chunkEnd = 0;
  const flush = () => {
    if (chunkStart === undefined) return;
    const start = chunkStart;
    chunkStart = undefined;
    const inline: CodeBlock[] = [];
    const html = renderMarkdown(lines.slice(start, chunkEnd).join('\n'), (toks) => {
      rewriteImages(toks, start, { ...scope, lines }, report);
      inline.push(...inlineActions(toks, start, original, fenceActions, nextId, report));
    });
    if (html.trim() !== '') blocks.push({ kind: 'markdown', html, line: start + 1 });
    blocks.push(...inline);
  };
  for (const t of tokens) {
    if (t.level !== 0 || !t.map) continue;
    if (t.type === 'heading_open' && heading === undefined) {
      const i = tokens.indexOf(t);
      heading = tokens[i + 1]?.content.trim() || undefined;
    }
    if (t.type === 'fence') {
      flush();
      const actionText = fenceActions.get(t.map[0]);
      const action = actionText === undefined ? { runnable: false, interrupt: false, copy: true } : readAction(actionText.words);
      if (action.warning && actionText) report('warning', actionText.line + 1, actionText.column, action.warning);
      const lang = t.info.trim().split(/\s+/)[0] ?? '';
      blocks.push(codeBlock(nextId(), lang, t.content.replace(/\n$/, ''), action, 'block', t.map[0] + 1));
      continue;
    }
    if (t.nesting === -1) continue;
    chunkStart ??= t.map[0];
    chunkEnd = Math.max(chunkEnd, t.map[1]);
  }
  flush();
  return { blocks, ...(heading ? { heading } : {}) };
}

/**
 * Removes the action after each closing fence ("```{{exec}}" is not a closing fence in CommonMark,
 * so left alone it would swallow the rest of the page) and returns them by the fence's opening line.
 */
function stripFenceActions(lines: string[]): Map<number, { words: string; line: number; column: number }> {
  const actions = new Map<number, { words: string; line: number; column: number }>();
  let open: { marker: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!open) {
      const m = /^[\s>]*(`{3,}|~{3,})(.*)$/.exec(line);
      if (m?.[1] && !(m[1].startsWith('`') && (m[2] ?? '').includes('`'))) open = { marker: m[1], line: i };
      continue;
    }
    const close = /^([\s>]*)(`{3,}|~{3,})[ \t]*(?:\{\{([^}]*)\}\})?[ \t]*$/.exec(line);
    if (!close?.[2] || close[2][0] !== open.marker[0] || close[2].length < open.marker.length) continue;
    if (close[3] !== undefined) {
      actions.set(open.line, { words: close[3], line: i, column: line.indexOf('{{') + 1 });
      lines[i] = `${close[1] ?? ''}${close[2]}`;
    }
    open = undefined;
  }
  return actions;
}

/** Actions inside rendered markdown: after a code span, or on a fence nested in a list or quote. */
function inlineActions(
  tokens: Token[],
  firstLine0: number,
  lines: readonly string[],
  fenceActions: Map<number, { words: string; line: number; column: number }>,
  nextId: () => string,
  report: Report,
): CodeBlock[] {
  const found: CodeBlock[] = [];
  for (const t of tokens) {
    if (t.type === 'fence' && t.map) {
      const actionText = fenceActions.get(firstLine0 + t.map[0]);
      if (!actionText) continue;
      const action = readAction(actionText.words);
      if (action.warning) report('warning', actionText.line + 1, actionText.column, action.warning);
      const lang = t.info.trim().split(/\s+/)[0] ?? '';
      const block = codeBlock(nextId(), lang, t.content.replace(/\n$/, ''), action, 'inline', firstLine0 + t.map[0] + 1);
      t.attrSet('data-labdeck-block', block.id);
      found.push(block);
      continue;
    }
    if (t.type !== 'inline' || !t.children) continue;
    t.children.forEach((child, i) => {
      const next = t.children?.[i + 1];
      if (child.type !== 'code_inline' || next?.type !== 'text') return;
      const m = /^\{\{([^}]*)\}\}/.exec(next.content);
      if (!m) return;
      next.content = next.content.slice(m[0].length);
      const action = readAction(m[1] ?? '');
      const { line, column } = findAction(lines, `\`${child.content}\`${m[0]}`, firstLine0 + (t.map?.[0] ?? 0), firstLine0 + (t.map?.[1] ?? 1));
      if (action.warning) report('warning', line, column, action.warning);
      if (!action.runnable && action.copy) return;
      if (!action.runnable) {
        child.attrSet('data-labdeck-copy', 'false');
        return;
      }
      const block = codeBlock(nextId(), '', child.content, action, 'inline', line);
      child.attrSet('data-labdeck-block', block.id);
      found.push(block);
    });
  }
  return found;
}

/** 1-based position of `written` (a code span and its action) in lines [from, to), or the first line's start. */
function findAction(lines: readonly string[], written: string, from: number, to: number): { line: number; column: number } {
  for (let l = from; l < to; l++) {
    const at = (lines[l] ?? '').indexOf(written);
    if (at >= 0) return { line: l + 1, column: at + 1 };
  }
  return { line: from + 1, column: 1 };
}

function codeBlock(id: string, lang: string, content: string, action: Action, display: CodeBlock['display'], line: number): CodeBlock {
  return {
    kind: 'code',
    id,
    lang,
    attrs: [],
    code: content,
    html: highlight(content, lang),
    runnable: action.runnable,
    run: content,
    interrupt: action.interrupt,
    copy: action.copy,
    display,
    lineNumbers: false,
    line,
  };
}

/** Katacoda's `answer` page, shown as the step's last hint. */
function renderAnswer(text: string, scope: PageScope, report: Report): string {
  const lines = replaceTraffic(text.split('\n'), report);
  return renderMarkdown(lines.join('\n'), (toks) => rewriteImages(toks, 0, { ...scope, lines }, report));
}

/**
 * Killercoda's `{{TRAFFIC_HOST1_<port>}}` (a URL that reaches a port of the scenario's host through
 * Killercoda's proxy) and Katacoda's `https://[[HOST_SUBDOMAIN]]-<port>-[[KATACODA_HOST]].environments.katacoda.com`.
 * labdeck does not forward a sandbox's ports, so the honest stand-in is `http://localhost:<port>`:
 * right for a command run in the terminal (`curl` inside the sandbox), and in the browser only when
 * labdeck runs on the attendee's own machine with the local driver. Each place is a warning saying
 * so. `{{TRAFFIC_SELECTOR}}` (Killercoda's list of ports) has no stand-in: a link to it becomes its text.
 */
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
