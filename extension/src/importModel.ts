// "UnitScope: Import model from training code": the user's own nn.Module (class or factory in their
// Python file) and checkpoint → the exporter, run by the user's Python → an ONNX file beside the
// checkpoint → loaded by the daemon → NAME.unitscope.json written (by the daemon) the first time.
// The pure parts are in importModelArgs.ts / importModelSource.ts / importModelRun.ts.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { readSettings, resolvePath, SECTION, workspaceFolderPaths } from "./config";
import { DaemonUnavailable, type Ctx } from "./ctx";
import { describeFailure } from "./errors";
import {
  choosePython,
  classNamesPathFor,
  defaultInputSize,
  describeExportError,
  descriptionFields,
  descriptionPathFor,
  EXPORTER_SCRIPT,
  exporterArgs,
  exportReport,
  formatInputSize,
  onnxPathFor,
  parseInputSizeText,
  projectRootFor,
  type ExportError,
  type ExportRequest,
  type ExportResult,
} from "./importModelArgs";
import { runExporter } from "./importModelRun";
import { findModelDefinitions, kwargsTemplate, parseKwargs, type ModelDefinition } from "./importModelSource";
import { LOAD_TORCHSHARP_COMMAND, loadTorchSharpModel } from "./importModelTorchSharp";
import { ModelCodeActionProvider } from "./modelCodeActions";
import type { LoadModelParams, ModelInfo } from "./protocol.generated";
import { loadModelParams } from "./settings";

export const IMPORT_MODEL_COMMAND = "unitscope.importModel";

/** What the code action hands the command: the definition it was offered on. */
export interface ImportTarget {
  file: string;
  definition: ModelDefinition;
}

const CHECKPOINT_FILTERS = { Checkpoints: ["pth", "pt", "th", "tar", "bin", "ckpt", "safetensors"], "All files": ["*"] };

export function registerImportModel(ctx: Ctx): vscode.Disposable[] {
  let output: vscode.OutputChannel | undefined;
  const channel = () => (output ??= vscode.window.createOutputChannel("UnitScope Import"));
  return [
    vscode.commands.registerCommand(IMPORT_MODEL_COMMAND, (arg?: unknown) => importModel(ctx, channel(), arg)),
    vscode.commands.registerCommand(LOAD_TORCHSHARP_COMMAND, () => loadTorchSharpModel(ctx)),
    vscode.languages.registerCodeActionsProvider({ language: "python", scheme: "file" }, new ModelCodeActionProvider(), {
      providedCodeActionKinds: ModelCodeActionProvider.kinds,
    }),
    { dispose: () => output?.dispose() },
  ];
}

function isTarget(arg: unknown): arg is ImportTarget {
  const a = arg as ImportTarget | undefined;
  return typeof a?.file === "string" && typeof a.definition?.name === "string";
}

export async function importModel(ctx: Ctx, output: vscode.OutputChannel, arg?: unknown): Promise<ModelInfo | undefined> {
  const target = isTarget(arg) ? arg : await pickTarget();
  if (!target) return undefined;
  const document = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === target.file);
  if (document?.isDirty && !(await document.save())) return undefined; // the exporter imports the file from disk

  const checkpoint = await pickCheckpoint(target.file);
  if (!checkpoint) return undefined;

  const { text, required } = kwargsTemplate(target.definition.params);
  let kwargs: Record<string, unknown> = {};
  if (target.definition.params.length > 0) {
    const shown = target.definition.params.map((p) => (p.default === undefined ? p.name : `${p.name}=${p.default}`)).join(", ");
    const typed = await vscode.window.showInputBox({
      title: `Arguments for ${target.definition.name}(…) as training built it`,
      prompt: `Keyword arguments as JSON. Parameters: ${shown}`,
      value: text,
      validateInput: (t) => {
        const r = parseKwargs(t, required);
        return "error" in r ? r.error : undefined;
      },
    });
    if (typed === undefined) return undefined;
    const parsed = parseKwargs(typed, required);
    if ("error" in parsed) return undefined;
    kwargs = parsed.kwargs;
  }

  const descriptionPath = descriptionPathFor(checkpoint);
  const descriptionExists = fs.existsSync(descriptionPath);
  const description = readJson(descriptionPath);
  const { settings } = readSettings();
  const suggested = defaultInputSize(description, settings.inputSize);
  const sizeText = await vscode.window.showInputBox({
    title: `Input size of ${target.definition.name}`,
    prompt: "Channels × height × width the model takes (e.g. 3×224×224), or height × width (channels from the first convolution)",
    value: formatInputSize(suggested),
    validateInput: (t) => (parseInputSizeText(t) ? undefined : "Give C×H×W (e.g. 3×224×224) or H×W"),
  });
  if (sizeText === undefined) return undefined;
  const inputSize = parseInputSizeText(sizeText)!;

  const classNamesFile = await pickClassNames(checkpoint, description);
  if (classNamesFile === null) return undefined;

  const onnx = onnxPathFor(checkpoint);
  if (fs.existsSync(onnx) && description?.architecture !== "onnx") {
    const replace = await vscode.window.showWarningMessage(
      `${path.basename(onnx)} exists beside the checkpoint. Replace it with the exported model?`,
      { modal: true },
      "Replace",
    );
    if (replace !== "Replace") return undefined;
  }

  const python = await findPython(vscode.Uri.file(target.file));
  const request: ExportRequest = {
    file: target.file,
    name: target.definition.name,
    kwargs,
    checkpoint,
    inputSize,
    projectRoot: projectRootFor(target.file, workspaceFolderPaths()),
    output: onnx,
  };
  const result = await runWithProgress(ctx, output, python, request);
  if (!result) return undefined;
  return loadAndDescribe(ctx, output, checkpoint, result, classNamesFile, descriptionExists);
}

/** Runs the exporter (again with --trust-checkpoint when the user says so); the result, or undefined after telling the user. */
async function runWithProgress(
  ctx: Ctx,
  output: vscode.OutputChannel,
  python: { command: string; source: string },
  request: ExportRequest,
): Promise<ExportResult | undefined> {
  const script = path.join(ctx.extension.extensionPath, EXPORTER_SCRIPT);
  const args = exporterArgs(script, request);
  output.appendLine(`\n[${new Date().toLocaleTimeString()}] Importing ${request.name} from ${request.file} with ${python.command} (${python.source})`);
  const run = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `UnitScope: exporting ${request.name} with ${path.basename(python.command)}`,
      cancellable: true,
    },
    (progress, token) => {
      progress.report({ message: "importing your code and loading the checkpoint…" });
      return runExporter(python.command, args, { cwd: request.projectRoot, cancel: token, onStderr: (t) => output.append(t) });
    },
  );
  output.appendLine(exportReport(python.command, args, run.outcome, ""));
  if (run.cancelled) {
    output.appendLine("Cancelled: the exporter was stopped.");
    return undefined;
  }
  if (run.outcome.ok) return run.outcome;

  const failure = run.outcome;
  if (failure.kind === "unsafe_checkpoint") {
    const trust = await vscode.window.showWarningMessage(
      `UnitScope: ${failure.message}`,
      { modal: true, detail: "Loading it anyway runs the code pickled in the file, with your Python." },
      "Trust and retry",
    );
    if (trust === "Trust and retry") return runWithProgress(ctx, output, python, { ...request, trustCheckpoint: true });
    return undefined;
  }
  void reportExportError(output, failure, python.command);
  return undefined;
}

async function reportExportError(output: vscode.OutputChannel, failure: ExportError, python: string): Promise<void> {
  const { message, actions } = describeExportError(failure, python);
  const choice = await vscode.window.showErrorMessage(`UnitScope could not import the model: ${message}`, ...actions);
  if (choice === "Show output") output.show(true);
  else if (choice === "Open file" && failure.location) {
    const doc = await vscode.workspace.openTextDocument(failure.location.file);
    const line = Math.max(0, failure.location.line - 1);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(line, 0, line, 0) });
  } else if (choice === "Choose interpreter") {
    const selected = await vscode.commands.executeCommand("python.setInterpreter").then(
      () => true,
      () => false,
    );
    if (!selected) await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.pythonPath`);
  }
}

/** Loads the ONNX, then writes the description (through the daemon) and reloads when it adds class names. */
async function loadAndDescribe(
  ctx: Ctx,
  output: vscode.OutputChannel,
  checkpoint: string,
  result: ExportResult,
  classNamesFile: string | undefined,
  descriptionExists: boolean,
): Promise<ModelInfo | undefined> {
  const { settings } = readSettings();
  const params: LoadModelParams = { ...loadModelParams(result.onnx, "onnx", settings), inputSize: [result.inputSize[1], result.inputSize[2]] };
  try {
    let info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `UnitScope: loading ${path.basename(result.onnx)}…`, cancellable: true },
      (_progress, token) => ctx.loadModel(params, token),
    );
    const written = await ctx.request("unitscope/writeModelDescription", {
      modelPath: checkpoint,
      ...descriptionFields(descriptionExists, result, { mean: info.input.mean, std: info.input.std }, classNamesFile),
    });
    output.appendLine(`${written.created ? "Wrote" : "Updated"} ${written.path}.`);
    if (classNamesFile) {
      // The description now names the classes: load again so the model carries them.
      const before = info.modelId;
      info = await ctx.loadModel(params);
      if (info.modelId !== before) await ctx.request("unitscope/unloadModel", { modelId: before }).catch(() => undefined);
    }
    const notes = result.warnings.length ? ` Note: ${result.warnings[0]}` : "";
    void vscode.window
      .showInformationMessage(
        `UnitScope imported ${result.model}: ${info.layers.length} layers, ${info.classCount} classes (${path.basename(result.onnx)}).${notes}`,
        "Open description",
      )
      .then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(written.path));
      });
    return info;
  } catch (e) {
    if (e instanceof DaemonUnavailable) return undefined;
    const failure = describeFailure(e);
    if (failure.cancelled) return undefined;
    output.appendLine(`The daemon could not load ${result.onnx}: ${failure.message}`);
    void vscode.window.showErrorMessage(`UnitScope exported the model but could not load it: ${failure.message}`, "Show output").then((c) => {
      if (c) output.show(true);
    });
    return undefined;
  }
}

/** Without a code action: the definitions of the active Python file, the one at the cursor first. */
async function pickTarget(): Promise<ImportTarget | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python" || editor.document.uri.scheme !== "file") {
    void vscode.window.showInformationMessage(
      "UnitScope: open the Python file that defines your model (a class deriving from nn.Module, or a function that builds it), then run Import model from training code.",
    );
    return undefined;
  }
  const definitions = findModelDefinitions(editor.document.getText());
  if (definitions.length === 0) {
    void vscode.window.showInformationMessage(
      `UnitScope: ${path.basename(editor.document.fileName)} defines no nn.Module class or model factory at top level.`,
    );
    return undefined;
  }
  const line = editor.selection.active.line;
  const ordered = [...definitions].sort((a, b) => Math.abs(a.line - line) - Math.abs(b.line - line));
  const picked =
    ordered.length === 1
      ? { definition: ordered[0]! }
      : await vscode.window.showQuickPick(
          ordered.map((d) => ({
            label: d.name,
            description: d.kind === "class" ? "nn.Module class" : "factory function",
            detail: `line ${d.line + 1}`,
            definition: d,
          })),
          { title: "Which model to import?" },
        );
  return picked ? { file: editor.document.uri.fsPath, definition: picked.definition } : undefined;
}

async function pickCheckpoint(sourceFile: string): Promise<string | undefined> {
  const { settings } = readSettings();
  const configured = settings.checkpoint ? resolvePath(settings.checkpoint) : undefined;
  const picked = await vscode.window.showOpenDialog({
    title: "UnitScope: the checkpoint your training saved",
    openLabel: "Use checkpoint",
    canSelectMany: false,
    canSelectFolders: false,
    filters: CHECKPOINT_FILTERS,
    defaultUri: vscode.Uri.file(configured ?? path.dirname(sourceFile)),
  });
  return picked?.[0]?.fsPath;
}

/**
 * The class names file to name in the description: NAME.classes.txt when it exists, the one the
 * description names when it has one, else the user's choice; undefined for none, null when cancelled.
 */
async function pickClassNames(checkpoint: string, description: Record<string, unknown> | undefined): Promise<string | undefined | null> {
  if (description && (description.classNamesFile !== undefined || description.classNames !== undefined)) return undefined;
  const beside = classNamesPathFor(checkpoint);
  if (fs.existsSync(beside)) return path.basename(beside);
  const choice = await vscode.window.showQuickPick(
    [
      { label: "No class names", description: 'classes are shown as "class 0", "class 1", …', pick: false },
      { label: "Choose a class names file…", description: "a text file with one name per line, in output order", pick: true },
    ],
    { title: "Class names for the description file" },
  );
  if (!choice) return null;
  if (!choice.pick) return undefined;
  const file = await vscode.window.showOpenDialog({
    title: "UnitScope: class names (one per line)",
    canSelectMany: false,
    filters: { "Text": ["txt"], "All files": ["*"] },
    defaultUri: vscode.Uri.file(path.dirname(checkpoint)),
  });
  return file?.[0]?.fsPath ?? null;
}

/** The interpreter: the Python extension's selected one, else unitscope.pythonPath, else python3. */
export async function findPython(resource: vscode.Uri): Promise<{ command: string; source: string }> {
  const setting = vscode.workspace.getConfiguration(SECTION, resource).get<string>("pythonPath") ?? "";
  return choosePython(await pythonExtensionInterpreter(resource), setting, process.platform);
}

async function pythonExtensionInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension("ms-python.python");
  if (!extension) return undefined;
  try {
    const api = (extension.isActive ? extension.exports : await extension.activate()) as PythonExtensionApi | undefined;
    const environments = api?.environments;
    const active = environments?.getActiveEnvironmentPath?.(resource);
    if (active) {
      const resolved = await environments?.resolveEnvironment?.(active);
      const executable = resolved?.executable?.uri?.fsPath;
      if (executable) return executable;
      if (active.path && fs.existsSync(active.path) && fs.statSync(active.path).isFile()) return active.path;
    }
    const legacy = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
    return legacy?.[0];
  } catch {
    return undefined;
  }
}

/** The part of ms-python.python's API used here (environments, and the older settings API). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { id: string; path: string } | undefined;
    resolveEnvironment?(environment: { id: string; path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined };
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
