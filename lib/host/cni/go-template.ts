/**
 * The part of Go's `text/template` that a containerd CNI config template uses, evaluated the way containerd evaluates
 * it (`internal/cri/server/update_runtime_config.go`: `template.ParseFiles(conf_template)` executed with a
 * `cniConfigTemplate{PodCIDR, PodCIDRRanges, Routes}`). It lets tests and `hacp` show the exact file containerd will
 * write to `/etc/cni/net.d/10-containerd-net.conflist` for a node's pod CIDR, without containerd.
 *
 * Supported actions: text, comments `{{/* ... *\/}}`, trim markers `{{- ` / ` -}}`, `{{.Field}}`, `{{.}}`,
 * `{{$var}}`, `{{range [$i, ]$v := PIPE}}` / `{{range PIPE}}` with `{{else}}`, `{{if PIPE}}` with `{{else}}`, and
 * `{{end}}`, where PIPE is one of those values. Anything else throws (a template using more of Go's language is not
 * one this module can vouch for).
 */

/** A value a template sees: a string, an integer (range index) or a list of strings. */
export type GoTemplateValue = string | number | readonly string[];

/** The data containerd passes to its CNI config template. */
export interface CniTemplateData {
  /** The first CIDR assigned to the node. */
  readonly PodCIDR: string;
  /** Every CIDR assigned to the node (two for dual stack). */
  readonly PodCIDRRanges: readonly string[];
  /** The default routes for the families present: `0.0.0.0/0` when any IPv4 CIDR, then `::/0` when any IPv6 one. */
  readonly Routes: readonly string[];
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; value: Pipe }
  | { kind: 'if'; cond: Pipe; then: Node[]; else: Node[] }
  | { kind: 'range'; over: Pipe; index?: string; elem?: string; body: Node[]; else: Node[] };

type Pipe = { kind: 'dot' } | { kind: 'field'; name: string } | { kind: 'var'; name: string };

interface Token {
  readonly kind: 'text' | 'action';
  readonly text: string;
}

/** Splits a template into text and action tokens, applying the trim markers as Go does (they eat ASCII spaces). */
function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let rest = template;
  let trimNext = false;
  while (rest.length) {
    const open = rest.indexOf('{{');
    let text = open < 0 ? rest : rest.slice(0, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text) tokens.push({ kind: 'text', text });
      break;
    }
    let inner = rest.slice(open + 2);
    const trimLeft = /^- /.test(inner) || /^-[\t\r\n]/.test(inner);
    if (trimLeft) {
      text = text.replace(/[ \t\r\n]+$/, '');
      inner = inner.slice(2);
    }
    if (text) tokens.push({ kind: 'text', text });
    const close = inner.indexOf('}}');
    if (close < 0) throw new Error('template: unclosed action');
    let action = inner.slice(0, close);
    trimNext = / -$/.test(action) || /[\t\r\n]-$/.test(action);
    if (trimNext) action = action.slice(0, -2);
    tokens.push({ kind: 'action', text: action.trim() });
    rest = inner.slice(close + 2);
  }
  return tokens;
}

function parsePipe(text: string): Pipe {
  if (text === '.') return { kind: 'dot' };
  if (/^\.[A-Za-z_]\w*$/.test(text)) return { kind: 'field', name: text.slice(1) };
  if (/^\$[A-Za-z_]\w*$/.test(text) || text === '$') return { kind: 'var', name: text };
  throw new Error(`template: unsupported pipeline '${text}'`);
}

/** Parses tokens into a tree; `stopAt` lists the actions that end the current block. */
function parse(tokens: Token[], pos: { i: number }, stopAt: string[]): { nodes: Node[]; stop?: string } {
  const nodes: Node[] = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i++];
    if (t.kind === 'text') {
      nodes.push({ kind: 'text', text: t.text });
      continue;
    }
    const a = t.text;
    if (/^\/\*[\s\S]*\*\/$/.test(a)) continue;
    if (stopAt.includes(a)) return { nodes, stop: a };
    let m: RegExpMatchArray | null;
    if ((m = a.match(/^if\s+(.+)$/))) {
      const then = parse(tokens, pos, ['else', 'end']);
      const otherwise = then.stop === 'else' ? parse(tokens, pos, ['end']) : { nodes: [], stop: then.stop };
      if (otherwise.stop !== 'end') throw new Error('template: unexpected EOF in if');
      nodes.push({ kind: 'if', cond: parsePipe(m[1].trim()), then: then.nodes, else: otherwise.nodes });
    } else if ((m = a.match(/^range\s+(?:(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:=\s*)?(.+)$/))) {
      const [, first, second, over] = m;
      const body = parse(tokens, pos, ['else', 'end']);
      const otherwise = body.stop === 'else' ? parse(tokens, pos, ['end']) : { nodes: [], stop: body.stop };
      if (otherwise.stop !== 'end') throw new Error('template: unexpected EOF in range');
      nodes.push({
        kind: 'range',
        over: parsePipe(over.trim()),
        index: second ? first : undefined,
        elem: second ?? first,
        body: body.nodes,
        else: otherwise.nodes,
      });
    } else if (a === 'end' || a === 'else') {
      throw new Error(`template: unexpected {{${a}}}`);
    } else {
      nodes.push({ kind: 'print', value: parsePipe(a) });
    }
  }
  if (stopAt.length) throw new Error(`template: unexpected EOF, expected {{${stopAt.join('}} or {{')}}}`);
  return { nodes };
}

type Scope = { dot: unknown; vars: Map<string, unknown> };

function evaluate(p: Pipe, scope: Scope): unknown {
  switch (p.kind) {
    case 'dot':
      return scope.dot;
    case 'var': {
      if (p.name === '$') return scope.vars.get('$');
      if (!scope.vars.has(p.name)) throw new Error(`template: undefined variable "${p.name}"`);
      return scope.vars.get(p.name);
    }
    case 'field': {
      const dot = scope.dot;
      if (dot === null || typeof dot !== 'object' || Array.isArray(dot) || !(p.name in (dot as object))) {
        throw new Error(`template: can't evaluate field ${p.name}`);
      }
      return (dot as Record<string, unknown>)[p.name];
    }
  }
}

/** Go's truth: false, 0, "" and empty lists are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

/** Go's `fmt.Print` of the values a template here can see (`[a b]` for a list). */
function print(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(print).join(' ')}]`;
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  throw new Error(`template: cannot print ${typeof v}`);
}

function execute(nodes: Node[], scope: Scope, out: string[]): void {
  for (const n of nodes) {
    if (n.kind === 'text') out.push(n.text);
    else if (n.kind === 'print') out.push(print(evaluate(n.value, scope)));
    else if (n.kind === 'if') execute(truthy(evaluate(n.cond, scope)) ? n.then : n.else, scope, out);
    else {
      const list = evaluate(n.over, scope);
      if (!Array.isArray(list)) throw new Error("template: range can't iterate over a non-list");
      if (list.length === 0) execute(n.else, scope, out);
      list.forEach((elem, i) => {
        const vars = new Map(scope.vars);
        if (n.index) vars.set(n.index, i);
        if (n.elem) vars.set(n.elem, elem);
        execute(n.body, { dot: elem, vars }, out);
      });
    }
  }
}

/** Executes `template` with `data` as Go's `text/template` would (for the subset described above). */
export function executeGoTemplate(template: string, data: Record<string, GoTemplateValue>): string {
  const { nodes } = parse(tokenize(template), { i: 0 }, []);
  const out: string[] = [];
  execute(nodes, { dot: data, vars: new Map([['$', data]]) }, out);
  return out.join('');
}

/**
 * The data containerd derives from the pod CIDRs the kubelet reports (`Node.spec.podCIDRs`, joined by commas):
 * split on commas and trimmed; `PodCIDR` is the first; `Routes` holds `0.0.0.0/0` if any CIDR is IPv4, then `::/0` if
 * any is IPv6 (containerd's `getRoutes`).
 */
export function cniTemplateData(podCidrs: string | readonly string[]): CniTemplateData {
  const cidrs = (typeof podCidrs === 'string' ? podCidrs.split(',') : [...podCidrs]).map((c) => c.trim());
  if (cidrs.length === 0 || cidrs.some((c) => !/^[0-9a-fA-F.:]+\/\d+$/.test(c))) {
    throw new Error(`podCidrs: '${cidrs.join(',')}' is not a comma-separated list of CIDRs`);
  }
  const v4 = cidrs.some((c) => !c.includes(':'));
  const v6 = cidrs.some((c) => c.includes(':'));
  return { PodCIDR: cidrs[0], PodCIDRRanges: cidrs, Routes: [...(v4 ? ['0.0.0.0/0'] : []), ...(v6 ? ['::/0'] : [])] };
}
