// "UnitScope: Load TorchSharp model (.dat + C# class)": for C# users, the weights Module.save wrote
// and the class that defines the model, from the compiled assembly (.dll) or a single .cs file
// the daemon compiles (its model classes found by importModelSource.findCSharpModelClasses).

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { readSettings } from "./config";
import { DaemonUnavailable, type Ctx } from "./ctx";
import { describeFailure } from "./errors";
import { findCSharpModelClasses } from "./importModelSource";
import type { LoadModelParams, ModelInfo } from "./protocol.generated";
import { loadModelParams } from "./settings";

export const LOAD_TORCHSHARP_COMMAND = "unitscope.loadTorchSharpModel";

export async function loadTorchSharpModel(ctx: Ctx): Promise<ModelInfo | undefined> {
  if (!(await ctx.client())) return undefined;
  const dat = await vscode.window.showOpenDialog({
    title: "UnitScope: TorchSharp weights (what Module.save wrote)",
    openLabel: "Use weights",
    canSelectMany: false,
    filters: { "TorchSharp weights": ["dat", "bin"], "All files": ["*"] },
  });
  if (!dat?.[0]) return undefined;
  const code = await vscode.window.showOpenDialog({
    title: "UnitScope: the model's C# definition — its compiled assembly (.dll) or one .cs file",
    openLabel: "Use definition",
    canSelectMany: false,
    filters: { "Assembly or C# file": ["dll", "cs"] },
    defaultUri: vscode.Uri.file(path.dirname(dat[0].fsPath)),
  });
  if (!code?.[0]) return undefined;
  const codePath = code[0].fsPath;
  const isSource = codePath.toLowerCase().endsWith(".cs");

  let typeName: string | undefined;
  const classes = isSource ? findCSharpModelClasses(fs.readFileSync(codePath, "utf8")) : [];
  if (classes.length > 1) {
    const picked = await vscode.window.showQuickPick([...classes], { title: "Which class is the model?" });
    if (!picked) return undefined;
    typeName = picked;
  } else if (!isSource) {
    const typed = await vscode.window.showInputBox({
      title: "The model's class (or static factory) in the assembly",
      prompt: "Namespace.Net (a constructor without required arguments) or Namespace.Models.Create; empty: the assembly's only model class",
      placeHolder: "MyModels.Net",
    });
    if (typed === undefined) return undefined;
    typeName = typed.trim() || undefined;
  }

  const { settings } = readSettings();
  const params: LoadModelParams = {
    ...loadModelParams(dat[0].fsPath, undefined, settings),
    ...(isSource ? { sourcePath: codePath } : { assemblyPath: codePath }),
    ...(typeName ? { typeName } : {}),
  };
  try {
    const info = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `UnitScope: loading ${path.basename(dat[0].fsPath)} into ${typeName ?? path.basename(codePath)}…`,
        cancellable: true,
      },
      (_progress, token) => ctx.loadModel(params, token),
    );
    void vscode.window.showInformationMessage(`UnitScope loaded ${info.architecture}: ${info.layers.length} layers.`);
    return info;
  } catch (e) {
    if (e instanceof DaemonUnavailable) return undefined;
    const failure = describeFailure(e);
    if (failure.cancelled) return undefined;
    ctx.output.error(`Could not load ${dat[0].fsPath} with ${codePath}: ${failure.message}`);
    void vscode.window.showErrorMessage(`UnitScope could not load the TorchSharp model: ${failure.message}`, "Show log").then((c) => {
      if (c) ctx.output.show(true);
    });
    return undefined;
  }
}
