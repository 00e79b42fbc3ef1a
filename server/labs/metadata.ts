/**
 * labdeck's own metadata: a multi-line comment whose first line is `<!-- labdeck`, with a YAML body.
 * It lives in a comment because presenterm rejects unknown front matter keys and ignores multi-line
 * comments, so the deck still presents. `tools` is the only key today.
 */
import { z } from 'zod';
import type { ToolRequirement } from '../../common/lab-model.js';
import type { Report } from './diagnostics.js';
import { isPlainObject, parseYamlAt } from './yaml-positions.js';

const toolSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._+-]+$/, 'must be a command name, e.g. kubectl'),
    version: z.string().min(1).optional(),
    install: z.string().min(1).optional(),
    why: z.string().min(1).optional(),
  })
  .strict();

/**
 * The tools declared in a metadata comment's YAML body, whose first line is the deck's 0-based line
 * `firstLine0`. Invalid YAML is an error; an unknown key or an invalid tool is a warning and is left out.
 */
export function readMetadata(yamlText: string, firstLine0: number, report: Report): ToolRequirement[] {
  const yaml = parseYamlAt(yamlText, firstLine0, 'labdeck metadata', report);
  if (!yaml) return [];
  const warn = ({ line, column }: { line: number; column: number }, message: string) =>
    report('warning', line, column, message);
  const { value } = yaml;
  if (!isPlainObject(value)) {
    warn(yaml.start, 'labdeck metadata must be a YAML mapping, e.g. `tools:`; ignored');
    return [];
  }
  for (const key of Object.keys(value)) {
    if (key !== 'tools') warn(yaml.keyPos(key), `unknown labdeck metadata key "${key}"; ignored`);
  }
  if (value.tools === undefined) return [];
  if (!Array.isArray(value.tools)) {
    warn(yaml.keyPos('tools'), 'labdeck `tools` must be a list; ignored');
    return [];
  }
  const tools: ToolRequirement[] = [];
  value.tools.forEach((tool: unknown, i: number) => {
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
