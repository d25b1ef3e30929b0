// Finding what "Import model from training code" can build in a Python file: nn.Module classes and
// top-level factory functions, with their keyword parameters; and the TorchSharp model classes of a
// C# file. Pure (no `vscode` import): scanners, not parsers, so they are tested in node and never
// run the user's code.

/** A class or factory the exporter can build: `module:name`. */
export interface ModelDefinition {
  name: string;
  kind: "class" | "factory";
  /** 0-based line of `class`/`def`. */
  line: number;
  /** Keyword parameters of the constructor (`__init__` without `self`) or the factory. */
  params: Param[];
}

export interface Param {
  name: string;
  /** The default as written (`10`, `"relu"`, `None`), undefined when it has none. */
  default: string | undefined;
}

/** Base classes that make a class an nn.Module: nn.X / torch.nn.X, or Module/Sequential imported bare. */
const MODULE_BASE = /^(?:(?:torch\.)?nn\.[A-Z]\w*|Module|Sequential|ModuleList|ModuleDict)$/;
/** Calls that build a model in a factory's body. */
const MODEL_CALL = /^(?:(?:torch\.)?nn\.[A-Z]\w*|(?:torchvision\.)?models\.\w+|timm\.create_model)$/;

interface Block {
  keyword: "class" | "def";
  name: string;
  line: number;
  /** Indentation of the `class`/`def` line. */
  indent: number;
  /** The text between the parentheses of the header (bases, or parameters). */
  inner: string;
  /** The text after the closing parenthesis, up to the colon (e.g. ` -> nn.Module`). */
  after: string;
  /** Lines of the body (after the header), as written. */
  body: string[];
}

/**
 * The nn.Module classes (direct, or through another class of the same file) and the top-level
 * factories (functions that return such a class's instance, an `nn.*` module, a torchvision/timm
 * model, or are annotated to return one) defined in `text`, in file order. Only top-level
 * definitions: the exporter imports them as `module:Name`.
 */
export function findModelDefinitions(text: string): ModelDefinition[] {
  const lines = text.split(/\r?\n/);
  const blocks = topLevelBlocks(lines);
  const classes = blocks.filter((b) => b.keyword === "class");
  const moduleClasses = new Set<string>();
  // Fixed point: a class deriving from a module class of the same file is one too.
  for (let changed = true; changed;) {
    changed = false;
    for (const c of classes) {
      if (moduleClasses.has(c.name)) continue;
      const bases = splitTopLevel(stripComments(c.inner))
        .map((b) => b.trim())
        .filter((b) => b && !b.includes("="));
      if (bases.some((b) => MODULE_BASE.test(b) || moduleClasses.has(b))) {
        moduleClasses.add(c.name);
        changed = true;
      }
    }
  }

  const found: ModelDefinition[] = [];
  for (const b of blocks) {
    if (b.keyword === "class" && moduleClasses.has(b.name)) {
      const init = methodBlock(b, "__init__");
      found.push({ name: b.name, kind: "class", line: b.line, params: init ? parseParams(init.inner).slice(1) : [] });
    } else if (b.keyword === "def" && !b.name.startsWith("_") && isFactory(b, moduleClasses)) {
      found.push({ name: b.name, kind: "factory", line: b.line, params: parseParams(b.inner) });
    }
  }
  return found;
}

/** The definition whose header line (or body) holds `line`, if any. */
export function definitionAt(definitions: readonly ModelDefinition[], text: string, line: number): ModelDefinition | undefined {
  const lines = text.split(/\r?\n/);
  return definitions.find((d) => d.line === line || (line > d.line && headerContinues(lines, d.line, line)));
}

/** Whether `line` is still part of the multi-line header that starts at `start`. */
function headerContinues(lines: string[], start: number, line: number): boolean {
  let depth = 0;
  for (let i = start; i <= line && i < lines.length; i++) {
    depth += parenDelta(stripComment(lines[i] ?? ""));
    if (depth <= 0 && i < line) return false;
  }
  return true;
}

function isFactory(b: Block, moduleClasses: Set<string>): boolean {
  const builds = (call: string) => MODEL_CALL.test(call) || moduleClasses.has(call);
  const annotated = /->\s*["']?([\w.]+)/.exec(b.after)?.[1];
  if (annotated && (builds(annotated) || /(^|\.)Module$/.test(annotated))) return true;
  const built = new Set<string>();
  for (const raw of b.body) {
    const line = stripComment(raw).trim();
    const assigned = /^(\w+)\s*(?::[^=]+)?=\s*([\w.]+)\s*\(/.exec(line);
    if (assigned && builds(assigned[2]!)) built.add(assigned[1]!);
    const returned = /^return\s+([\w.]+)\s*(\(|$)/.exec(line);
    if (returned && (returned[2] === "(" ? builds(returned[1]!) : built.has(returned[1]!))) return true;
  }
  return false;
}

function topLevelBlocks(lines: string[]): Block[] {
  return blocksAt(lines, 0, lines.length, 0);
}

/** `class`/`def` blocks whose header is indented exactly `indent`, between lines [from, to). */
function blocksAt(lines: string[], from: number, to: number, indent: number): Block[] {
  const blocks: Block[] = [];
  const header = /^(\s*)(?:async\s+)?(class|def)\s+([A-Za-z_]\w*)\s*(\(|:)/;
  const inString = linesInStrings(lines, from, to);
  for (let i = from; i < to; i++) {
    const text = lines[i] ?? "";
    if (inString[i - from]) continue;
    const m = header.exec(text);
    if (!m || m[1]!.length !== indent) continue;
    // The header may span lines until its parentheses close.
    let headerText = text.slice(m[0].length - 1);
    let end = i;
    let depth = parenDelta(stripComment(text));
    while (depth > 0 && end + 1 < to) {
      end++;
      headerText += "\n" + (lines[end] ?? "");
      depth += parenDelta(stripComment(lines[end] ?? ""));
    }
    const { inner, after } = splitHeader(headerText);
    // The body: the following lines indented deeper than the header (blank lines, comments and
    // the insides of triple-quoted strings whatever their indentation).
    let last = end;
    for (let j = end + 1; j < to; j++) {
      const line = lines[j] ?? "";
      if (inString[j - from] || line.trim() === "" || /^\s*#/.test(line)) continue;
      if (indentation(line) <= indent) break;
      last = j;
    }
    blocks.push({
      keyword: m[2] as "class" | "def",
      name: m[3]!,
      line: i,
      indent,
      inner,
      after,
      body: lines.slice(end + 1, last + 1),
    });
    i = last;
  }
  return blocks;
}

/** For each line of [from, to): whether it begins inside a triple-quoted string. */
function linesInStrings(lines: string[], from: number, to: number): boolean[] {
  const result: boolean[] = [];
  let open: string | undefined;
  for (let i = from; i < to; i++) {
    result.push(open !== undefined);
    open = skipTripleQuoted(lines[i] ?? "", open);
  }
  return result;
}

/** A method of a class block, by name. */
function methodBlock(cls: Block, name: string): Block | undefined {
  const inString = linesInStrings(cls.body, 0, cls.body.length);
  const bodyIndent = cls.body
    .map((l, i) => (l.trim() && !/^\s*#/.test(l) && !inString[i] ? indentation(l) : Infinity))
    .reduce((a, b) => Math.min(a, b), Infinity);
  if (!Number.isFinite(bodyIndent)) return undefined;
  return blocksAt(cls.body, 0, cls.body.length, bodyIndent).find((b) => b.keyword === "def" && b.name === name);
}

/** "(a, b=1): ..." → inner "a, b=1"; "Name:" (no parentheses) → inner "". */
function splitHeader(text: string): { inner: string; after: string } {
  if (!text.startsWith("(")) return { inner: "", after: "" };
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") {
      depth--;
      if (depth === 0) {
        const rest = text.slice(i + 1);
        const colon = rest.indexOf(":");
        return { inner: text.slice(1, i), after: colon >= 0 ? rest.slice(0, colon + 1) : rest };
      }
    } else if (ch === '"' || ch === "'") {
      i = skipString(text, i);
    }
  }
  return { inner: text.slice(1), after: "" };
}

/** Parameters from a `def` header's inner text; `*args`, `**kwargs` and the bare `*` are left out. */
export function parseParams(inner: string): Param[] {
  const params: Param[] = [];
  for (const raw of splitTopLevel(stripComments(inner))) {
    const part = raw.trim();
    if (!part || part === "/" || part.startsWith("*")) continue;
    const eq = topLevelEquals(part);
    const head = (eq >= 0 ? part.slice(0, eq) : part).trim();
    const name = head.split(":")[0]!.trim();
    if (!/^[A-Za-z_]\w*$/.test(name)) continue;
    params.push({ name, default: eq >= 0 ? part.slice(eq + 1).trim() : undefined });
  }
  return params;
}

/** A Python default as JSON when it is a plain literal (numbers, strings, True/False/None, lists of them). */
export function pythonLiteralToJson(text: string): unknown {
  const t = text.trim();
  if (t === "True") return true;
  if (t === "False") return false;
  if (t === "None") return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  const s = /^(['"])((?:\\.|(?!\1).)*)\1$/.exec(t);
  if (s) return s[2]!.replace(/\\(.)/g, "$1");
  const seq = /^[[(](.*)[\])]$/s.exec(t);
  if (seq) {
    const items = splitTopLevel(seq[1]!)
      .map((x) => x.trim())
      .filter((x) => x);
    const values = items.map(pythonLiteralToJson);
    return values.every((v) => v !== undefined) ? values : undefined;
  }
  return undefined;
}

/**
 * The keyword-arguments text the command offers: every parameter with a literal default, as JSON
 * (the user edits what training used, e.g. num_classes), and those without a default as null for
 * the user to fill in (listed in `required`). Defaults that are not literals are left to the code.
 */
export function kwargsTemplate(params: readonly Param[]): { text: string; required: string[] } {
  const values: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of params) {
    if (p.default === undefined) {
      required.push(p.name);
      values[p.name] = null;
    } else {
      const v = pythonLiteralToJson(p.default);
      if (v !== undefined) values[p.name] = v;
    }
  }
  return { text: JSON.stringify(values).replace(/,"/g, ', "').replace(/":/g, '": '), required };
}

/** A JSON object of keyword arguments, or a message saying what is wrong with the text. */
export function parseKwargs(text: string, required: readonly string[] = []): { kwargs: Record<string, unknown> } | { error: string } {
  const t = text.trim() || "{}";
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: 'Give a JSON object, e.g. {"num_classes": 10}' };
  const record = value as Record<string, unknown>;
  const missing = required.filter((r) => record[r] === undefined || record[r] === null);
  if (missing.length) return { error: `Give a value for ${missing.join(", ")} (no default in the code)` };
  return { kwargs: record };
}

/**
 * The public classes of a C# file that derive from `Module<Tensor, Tensor>` (however qualified), as
 * full names (`Namespace.Outer.Net`), in file order. A scanner, not a parser: good enough to
 * prefill the type name.
 */
export function findCSharpModelClasses(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const fileScoped = /^\s*namespace\s+([\w.]+)\s*;/m.exec(text)?.[1];
  const found: string[] = [];
  const declaration = /\b(namespace\s+([\w.]+)\s*\{)|\bpublic\s+(?:(?:sealed|partial|abstract|static|unsafe)\s+)*class\s+(\w+)[^{;]*?:\s*([^{]+)\{/g;
  // Track namespaces and classes by brace depth.
  const scopes: { name: string; depth: number; kind: "ns" | "class" }[] = [];
  let depth = 0;
  let last = 0;
  for (let m = declaration.exec(text); m; m = declaration.exec(text)) {
    depth += braceDelta(text.slice(last, m.index));
    while (scopes.length && scopes[scopes.length - 1]!.depth >= depth + 1) scopes.pop();
    last = m.index + m[0].length;
    if (m[1]) {
      scopes.push({ name: m[2]!, depth: depth + 1, kind: "ns" });
    } else {
      const name = m[3]!;
      const bases = m[4]!;
      const prefix = [fileScoped, ...scopes.map((s) => s.name)].filter((s): s is string => !!s);
      if (/\bModule\s*<\s*(?:[\w.]+\.)?Tensor\s*,\s*(?:[\w.]+\.)?Tensor\s*>/.test(bases) && !/\babstract\b/.test(m[0])) found.push([...prefix, name].join("."));
      scopes.push({ name, depth: depth + 1, kind: "class" });
    }
    depth += 1; // the declaration's own "{"
  }
  return found;
}

function braceDelta(text: string): number {
  let d = 0;
  for (const ch of text) {
    if (ch === "{") d++;
    else if (ch === "}") d--;
  }
  return d;
}

// --- small lexical helpers -------------------------------------------------------------------

function indentation(line: string): number {
  return /^[ \t]*/.exec(line)![0].replace(/\t/g, "        ").length;
}

function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"' || ch === "'") i = skipString(line, i);
    else if (ch === "#") return line.slice(0, i);
  }
  return line;
}

function stripComments(text: string): string {
  return text.split("\n").map(stripComment).join("\n");
}

/** Index of the closing quote of the string starting at `start` (or the end of the text). */
function skipString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

function parenDelta(line: string): number {
  let d = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"' || ch === "'") i = skipString(line, i);
    else if (ch === "(" || ch === "[" || ch === "{") d++;
    else if (ch === ")" || ch === "]" || ch === "}") d--;
  }
  return d;
}

/** Splits at commas outside brackets and strings. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") i = skipString(text, i);
    else if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Index of the `=` of `name=default` / `name: T = default` outside brackets, or -1. */
function topLevelEquals(part: string): number {
  let depth = 0;
  for (let i = 0; i < part.length; i++) {
    const ch = part[i];
    if (ch === '"' || ch === "'") i = skipString(part, i);
    else if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    else if (ch === "=" && depth === 0 && part[i + 1] !== "=" && !"<>!=".includes(part[i - 1] ?? "")) return i;
  }
  return -1;
}

/**
 * Tracks triple-quoted strings across lines: given the quote open before `line` (or undefined),
 * the one open after it.
 */
function skipTripleQuoted(line: string, open: string | undefined): string | undefined {
  let state = open;
  let i = 0;
  while (i < line.length) {
    if (state !== undefined) {
      const close = line.indexOf(state, i);
      if (close < 0) return state;
      state = undefined;
      i = close + 3;
      continue;
    }
    const ch = line[i];
    if (ch === "#") return undefined;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      state = line.slice(i, i + 3);
      i += 3;
      continue;
    }
    if (ch === '"' || ch === "'") {
      i = skipString(line, i) + 1;
      continue;
    }
    i++;
  }
  return state;
}
