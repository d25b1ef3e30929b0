// The pure parts of "Import model from training code": the exporter's command line, reading its
// one JSON line (result or structured error), the input-size prompt, where the ONNX and the
// description go, which Python runs it, and what the description file gets. No `vscode` import.

import * as path from "node:path";
import { isRecord } from "./guards";

/** What the user chose: the model in their code, the checkpoint, the input size. */
export interface ExportRequest {
  /** The Python file that defines the model. */
  file: string;
  /** Class or factory name in that file. */
  name: string;
  kwargs: Record<string, unknown>;
  checkpoint: string;
  /** [C, H, W]; C undefined: the exporter takes it from the first convolution. */
  inputSize: [number | undefined, number, number];
  /** Folder put first on sys.path: the workspace folder holding the file, else the file's folder. */
  projectRoot: string;
  output: string;
  trustCheckpoint?: boolean;
}

/** The exporter's success line. */
export interface ExportResult {
  ok: true;
  onnx: string;
  inputSize: [number, number, number];
  outputShape: number[];
  classCount: number;
  modules: { path: string; kind: string }[];
  scopedNodeNames: boolean;
  opset: number;
  model: string;
  torch: string;
  python: string;
  warnings: string[];
}

export type ExportErrorKind =
  | "usage"
  | "torch"
  | "import"
  | "not_found"
  | "not_a_model"
  | "build"
  | "checkpoint"
  | "unsafe_checkpoint"
  | "state_dict"
  | "mismatch"
  | "input"
  | "forward"
  | "output"
  | "export"
  | "internal"
  /** Not the exporter's: the process could not start, crashed or printed no JSON. */
  | "process";

export interface ExportError {
  ok: false;
  kind: ExportErrorKind;
  message: string;
  /** The user's traceback, when their code raised. */
  traceback?: string;
  /** The innermost frame in the user's own files. */
  location?: { file: string; line: number };
  missingKeys?: string[];
  unexpectedKeys?: string[];
  shapeMismatches?: { key: string; checkpoint: number[]; model: number[] }[];
  /** The exporter's exit status (undefined when it was killed or did not start). */
  exitCode?: number;
}

export const EXPORTER_SCRIPT = "python/unitscope_export.py";

/** The exporter's argument list (after the interpreter): `python <script> <args>`. */
export function exporterArgs(script: string, r: ExportRequest): string[] {
  const [c, h, w] = r.inputSize;
  const args = [
    script,
    "--model",
    `${r.file}:${r.name}`,
    "--kwargs",
    JSON.stringify(r.kwargs),
    "--checkpoint",
    r.checkpoint,
    "--input-size",
    c === undefined ? `${h},${w}` : `${c},${h},${w}`,
    "--output",
    r.output,
    "--project-root",
    r.projectRoot,
  ];
  if (r.trustCheckpoint) args.push("--trust-checkpoint");
  return args;
}

/**
 * The exporter's outcome from its exit status and output: the JSON line it printed last on stdout
 * (anything before it is not ours), else a "process" error carrying the end of stderr.
 */
export function parseExporterOutput(stdout: string, stderr: string, exitCode: number | null, signal?: string | null): ExportResult | ExportError {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .pop();
  let parsed: unknown;
  if (line) {
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
  }
  const exit = exitCode ?? undefined;
  if (isRecord(parsed) && parsed.ok === true && typeof parsed.onnx === "string") {
    return parsed as unknown as ExportResult;
  }
  if (isRecord(parsed) && parsed.ok === false && isRecord(parsed.error) && typeof parsed.error.message === "string") {
    const e = parsed.error;
    const error: ExportError = { ok: false, kind: String(e.kind ?? "internal") as ExportErrorKind, message: e.message as string, exitCode: exit };
    if (typeof e.traceback === "string") error.traceback = e.traceback;
    if (isRecord(e.location) && typeof e.location.file === "string" && typeof e.location.line === "number")
      error.location = { file: e.location.file, line: e.location.line };
    if (Array.isArray(e.missingKeys)) error.missingKeys = e.missingKeys.map(String);
    if (Array.isArray(e.unexpectedKeys)) error.unexpectedKeys = e.unexpectedKeys.map(String);
    if (Array.isArray(e.shapeMismatches)) error.shapeMismatches = e.shapeMismatches as ExportError["shapeMismatches"];
    return error;
  }
  const tail = stderr.trim().split(/\r?\n/).slice(-15).join("\n");
  const how = signal ? `was stopped (${signal})` : exitCode === null ? "did not finish" : `exited with status ${exitCode}`;
  return {
    ok: false,
    kind: "process",
    message: `The exporter ${how} without a result${tail ? `: ${lastLine(tail)}` : "."}`,
    traceback: tail || undefined,
    exitCode: exit,
  };
}

/** What to tell the user about a failure, and which buttons to offer. */
export function describeExportError(
  e: ExportError,
  python: string,
): { message: string; actions: ("Show output" | "Open file" | "Trust and retry" | "Choose interpreter")[] } {
  const actions: ("Show output" | "Open file" | "Trust and retry" | "Choose interpreter")[] = [];
  let message = e.message;
  if (e.kind === "unsafe_checkpoint") actions.push("Trust and retry");
  if (e.kind === "torch" || (e.kind === "process" && e.exitCode === undefined)) {
    actions.push("Choose interpreter");
    if (e.kind === "process") message = `Could not run ${python}: ${e.message}`;
  }
  if (e.location) actions.push("Open file");
  actions.push("Show output");
  return { message, actions };
}

/** "3x224x224", "3, 224, 224", "224x224", "224" → [C|undefined, H, W]; undefined when not a size. */
export function parseInputSizeText(text: string): [number | undefined, number, number] | undefined {
  const parts = text
    .trim()
    .split(/[\s,x×X*]+/)
    .filter((p) => p.length > 0);
  if (parts.length < 1 || parts.length > 3 || !parts.every((p) => /^\d+$/.test(p))) return undefined;
  const n = parts.map(Number);
  if (n.some((v) => v < 1) || n.slice(-2).some((v) => v > 8192) || (n.length === 3 && n[0]! > 4)) return undefined;
  if (n.length === 1) return [undefined, n[0]!, n[0]!];
  if (n.length === 2) return [undefined, n[0]!, n[1]!];
  return [n[0]!, n[1]!, n[2]!];
}

export function formatInputSize(size: readonly (number | undefined)[]): string {
  return size.filter((v) => v !== undefined).join("×");
}

/**
 * The input size to offer: the description file's (channels from its mean when it has one), else
 * the `unitscope.inputSize` setting, else 3×224×224.
 */
export function defaultInputSize(
  description: { inputSize?: unknown; mean?: unknown } | undefined,
  setting: [number, number] | undefined,
): [number | undefined, number, number] {
  const channels = Array.isArray(description?.mean) && description.mean.length >= 1 && description.mean.length <= 4 ? description.mean.length : 3;
  const size = description?.inputSize;
  if (typeof size === "number" && Number.isInteger(size) && size > 0) return [channels, size, size];
  if (Array.isArray(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0)) return [channels, size[0], size[1]];
  if (setting) return [channels, setting[0], setting[1]];
  return [3, 224, 224];
}

/** `runs/best.pth` → `runs/best.onnx`: the exported model lives beside its checkpoint. */
export function onnxPathFor(checkpoint: string): string {
  return changeExtension(checkpoint, ".onnx");
}

/** `runs/best.pth` → `runs/best.unitscope.json` (as the daemon's ModelDescriptionFile.PathFor). */
export function descriptionPathFor(checkpoint: string): string {
  return changeExtension(checkpoint, ".unitscope.json");
}

/** `runs/best.pth` → `runs/best.classes.txt`, the class names file the daemon reads by default. */
export function classNamesPathFor(checkpoint: string): string {
  return changeExtension(checkpoint, ".classes.txt");
}

function changeExtension(file: string, extension: string): string {
  const parsed = path.parse(file);
  return path.join(parsed.dir, parsed.name + extension);
}

/**
 * Where the interpreter comes from: the Python extension's selected environment, else the
 * `unitscope.pythonPath` setting, else `python3` (`python` on Windows).
 */
export function choosePython(fromPythonExtension: string | undefined, setting: string, platform: NodeJS.Platform): { command: string; source: string } {
  if (fromPythonExtension) return { command: fromPythonExtension, source: "the Python extension's selected interpreter" };
  if (setting.trim()) return { command: setting.trim(), source: "the unitscope.pythonPath setting" };
  return { command: platform === "win32" ? "python" : "python3", source: "the default (no interpreter selected)" };
}

/** The project root: the workspace folder holding the file (deepest first), else the file's folder. */
export function projectRootFor(file: string, workspaceFolders: readonly string[]): string {
  const inside = workspaceFolders
    .filter((f) => {
      const rel = path.relative(f, file);
      return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
    })
    .sort((a, b) => b.length - a.length);
  return inside[0] ?? path.dirname(file);
}

/** The fields `unitscope/writeModelDescription` gets. */
export interface DescriptionFields {
  architecture?: string;
  inputSize?: number[];
  mean?: number[];
  std?: number[];
  classNamesFile?: string;
}

/**
 * What the import writes into NAME.unitscope.json: everything the first time; when the file
 * exists, only what the import decides (architecture, input size, a class-names file chosen now),
 * so the user's own mean/std/class names stay.
 */
export function descriptionFields(
  exists: boolean,
  result: Pick<ExportResult, "inputSize">,
  normalisation: { mean: number[]; std: number[] },
  classNamesFile: string | undefined,
): DescriptionFields {
  const fields: DescriptionFields = { architecture: "onnx", inputSize: [result.inputSize[1], result.inputSize[2]] };
  if (!exists) {
    fields.mean = [...normalisation.mean];
    fields.std = [...normalisation.std];
  }
  if (classNamesFile) fields.classNamesFile = classNamesFile;
  return fields;
}

/** The text for the output channel: what ran and what it said. */
export function exportReport(python: string, args: readonly string[], outcome: ExportResult | ExportError, stderr: string): string {
  const lines = [`$ ${[python, ...args].map(quoteArg).join(" ")}`];
  if (stderr.trim()) lines.push(stderr.trimEnd());
  if (outcome.ok) {
    lines.push(
      `Exported ${outcome.model} to ${outcome.onnx}: input ${outcome.inputSize.join("×")}, ${outcome.classCount} outputs, ` +
        `${outcome.modules.length} modules (PyTorch ${outcome.torch}, Python ${outcome.python}).`,
    );
    for (const w of outcome.warnings) lines.push(`warning: ${w}`);
  } else {
    lines.push(`Error (${outcome.kind}): ${outcome.message}`);
    if (outcome.traceback) lines.push(outcome.traceback.trimEnd());
  }
  return lines.join("\n");
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function lastLine(text: string): string {
  return text.trim().split(/\r?\n/).pop() ?? "";
}
