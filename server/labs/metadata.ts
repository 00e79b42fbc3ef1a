/**
 * labdeck's own metadata: a multi-line comment whose first line is `<!-- labdeck`, with a YAML body.
 * It lives in a comment because presenterm rejects unknown front matter keys and ignores multi-line
 * comments, so the deck still presents. This file reads `tools` and hands the teaching keys (`step`,
 * `setup`, `reset`, `requireCheck`) to teach.ts.
 */
import { z } from 'zod';
import type { ToolRequirement } from '../../common/lab-model.js';
import type { Report } from './diagnostics.js';
import { readTeach, TEACH_KEYS, type LabTeach, type RenderHint, type StepTeach } from './teach.js';
import { isPlainObject, parseYamlAt } from './yaml-positions.js';

/** What one metadata comment says. */
export interface Metadata {
  tools: ToolRequirement[];
  lab: LabTeach;
  /** The `step:` part: it belongs to the slide the comment is written in. */
  step?: StepTeach;
  /** Where `step:` is written, to report a step comment that ends up in no step. */
  stepPos?: { line: number; column: number };
}

const toolSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._+-]+$/, 'must be a command name, e.g. kubectl'),
    version: z.string().min(1).optional(),
    install: z.string().min(1).optional(),
    why: z.string().min(1).optional(),
  })
  .strict();

const KNOWN_KEYS = new Set<string>(['tools', ...TEACH_KEYS]);

/**
 * A metadata comment's YAML body, whose first line is the deck's 0-based line `firstLine0`. Invalid
 * YAML is an error, and so is an invalid teaching key (teach.ts); an unknown key or an invalid tool is
 * a warning and is left out.
 */
export function readMetadata(
  yamlText: string,
  firstLine0: number,
  file: string,
  report: Report,
  renderHint: RenderHint,
): Metadata {
  const none: Metadata = { tools: [], lab: {} };
  const yaml = parseYamlAt(yamlText, firstLine0, 'labdeck metadata', report);
  if (!yaml) return none;
  const warn = ({ line, column }: { line: number; column: number }, message: string) =>
    report('warning', line, column, message);
  const { value } = yaml;
  if (!isPlainObject(value)) {
    warn(yaml.start, 'labdeck metadata must be a YAML mapping, e.g. `tools:`; ignored');
    return none;
  }
  const known = Object.fromEntries(Object.entries(value).filter(([key]) => KNOWN_KEYS.has(key)));
  for (const key of Object.keys(value)) {
    if (!KNOWN_KEYS.has(key)) warn(yaml.keyPos(key), `unknown labdeck metadata key "${key}"; ignored`);
  }
  const teach = readTeach(known, yaml, file, report, renderHint);
  return {
    tools: readTools(value.tools, yaml, warn),
    lab: teach.lab,
    ...(teach.step ? { step: teach.step, stepPos: yaml.keyPos('step') } : {}),
  };
}

function readTools(
  list: unknown,
  yaml: NonNullable<ReturnType<typeof parseYamlAt>>,
  warn: (pos: { line: number; column: number }, message: string) => void,
): ToolRequirement[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    warn(yaml.keyPos('tools'), 'labdeck `tools` must be a list; ignored');
    return [];
  }
  const tools: ToolRequirement[] = [];
  list.forEach((tool: unknown, i: number) => {
    const parsed = toolSchema.safeParse(tool);
    if (parsed.success) {
      tools.push(parsed.data);
      return;
    }
    for (const issue of parsed.error.issues) {
      const nodePath = ['tools', i, ...issue.path.filter((p) => typeof p !== 'symbol')];
      const where = issue.path.length > 0 ? ` ${issue.path.join('.')}` : '';
      warn(
        yaml.nodePos(nodePath) ?? yaml.nodePos(['tools', i]) ?? yaml.start,
        `labdeck tool #${i + 1}${where}: ${issue.message}; tool ignored`,
      );
    }
  });
  return tools;
}
