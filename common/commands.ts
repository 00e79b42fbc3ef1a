/**
 * The programs a shell command line runs, as labdeck guesses them: the first word of each line, after
 * `sudo` and `VAR=value` prefixes. One guess for everyone: the UI warns before a Run whose tool is
 * missing from the sandbox, and `labs:check` warns about tools a lab uses but does not declare.
 */
export function commandsOf(run: string): string[] {
  const names = new Set<string>();
  for (const line of run.split('\n')) {
    const words = line.trim().split(/\s+/);
    let i = 0;
    while (i < words.length && (words[i] === 'sudo' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? ''))) i++;
    const w = words[i];
    if (w && !w.startsWith('#')) names.add(w);
  }
  return [...names];
}
