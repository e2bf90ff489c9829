/** One `[Section]` of a systemd unit: ordered key/value lines (a key may repeat). */
export type UnitSection = ReadonlyArray<readonly [string, string]>;

/**
 * Renders a systemd unit file. `header` lines become `#` comments at the top. Long `Exec*` command lines are given
 * as argv arrays and wrapped one argument per line with `\` continuations, so that each flag reads on its own line.
 */
export function renderUnit(header: string[], sections: Record<string, UnitSection>): string {
  const out = header.map((line) => `# ${line}`.trimEnd());
  for (const [name, lines] of Object.entries(sections)) {
    if (out.length) out.push('');
    out.push(`[${name}]`);
    for (const [key, value] of lines) out.push(`${key}=${value}`);
  }
  return out.join('\n') + '\n';
}

/** A command line for `Exec*=`: arguments quoted where systemd needs it; past 80 characters, one per continuation line. */
export function execLine(argv: readonly string[]): string {
  const quoted = argv.map(quoteArg);
  const flat = quoted.join(' ');
  return flat.length <= 80 ? flat : `${quoted[0]} \\\n  ${quoted.slice(1).join(' \\\n  ')}`;
}

/** One argument as systemd's command-line parser reads it: `%` doubled, quoted (with `\`, `"`, `$` escaped) when needed. */
function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg.replace(/%/g, '%%');
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}
