/**
 * Tools a lab's steps run but its `tools` list does not declare: preflight and `npm run doctor` only
 * check declared tools, so an undeclared one is first noticed as `command not found` in the middle of
 * a workshop. Each is a warning at the first block (or step) that uses it.
 */
import { commandsOf } from '../../common/commands.js';
import { codeBlocks, type Step, type ToolRequirement } from '../../common/lab-model.js';
import type { Report } from './diagnostics.js';

/**
 * What every sandbox has without declaring it: bash's keywords and builtins, and the commands of the
 * packages in sandbox/packages.txt that a lab commonly uses (coreutils, procps, iproute2, curl, jq, git,
 * an editor). Everything else, a lab declares.
 */
const BASE = new Set(
  [
    // bash keywords and builtins
    'if then else elif fi for while until do done case esac function select time { } [ [[ ! . : source',
    'alias bg bind break builtin cd command compgen complete continue declare dirs disown echo enable eval',
    'exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile popd printf',
    'pushd pwd read readarray readonly return set shift shopt suspend test times trap true type typeset',
    'ulimit umask unalias unset wait',
    // coreutils
    'base64 basename cat chgrp chmod chown cp cut date dd df dirname du env expr head id install ln ls',
    'md5sum mkdir mktemp mv nproc printenv readlink realpath rm rmdir seq sha256sum sleep sort stat tail',
    'tee timeout touch tr tty uname uniq wc whoami yes',
    // the rest of the base image
    'awk sed grep egrep fgrep find xargs which less more clear reset ps top watch free pgrep pkill',
    'killall uptime hostname ip ping curl jq git vi vim nano tar gzip gunzip sh',
  ]
    .join(' ')
    .split(' '),
);

/** A word that can be a program looked up on PATH (not a path, variable or redirection). */
const PROGRAM = /^[A-Za-z0-9._+-]+$/;

/**
 * Warns once per undeclared tool, at the first place a step uses it. `reportFor` gives the report of
 * the file a step comes from (a Killercoda scenario has one file per step).
 */
export function undeclaredTools(steps: readonly Step[], tools: readonly ToolRequirement[], reportFor: (step: Step) => Report): void {
  const declared = new Set(tools.map((t) => t.name));
  const seen = new Set<string>();
  let report: Report = () => {};
  const use = (names: string[], line: number, where: string) => {
    for (const name of names) {
      if (!PROGRAM.test(name) || BASE.has(name) || declared.has(name) || seen.has(name)) continue;
      seen.add(name);
      report('warning', line, 1, `${where} runs "${name}", which the lab's tools do not declare (preflight will not check it)`);
    }
  };
  for (const step of steps) {
    report = reportFor(step);
    for (const block of codeBlocks(step.blocks)) {
      if (block.runnable) use(commandsOf(block.run), block.line, 'this block');
      if (block.snippet) use([block.snippet.tool], block.line, `this ${block.lang} snippet`);
    }
    if (step.solution !== undefined) use(commandsOf(step.solution), step.line, `the solution of step ${step.index + 1}`);
    if (step.typeOnEnter !== undefined) use(commandsOf(step.typeOnEnter), step.line, `step ${step.index + 1}'s foreground script`);
  }
}
