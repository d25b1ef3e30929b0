// The "Visualize unit" panel: activation maximisation of one unit with each round's image shown as
// it comes, Cancel at any time, the hypothesis test on the optimised image and on real images the
// user picks. One panel at a time (a new unit replaces what it shows); it survives window reloads
// through its serializer and the state its webview persists (a run going on at the reload is lost).

import * as path from "node:path";
import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { describeFailure } from "../errors";
import { IMAGE_EXTENSIONS } from "../settings";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { buildVisualizeHtml } from "./visualizeHtml";
import { parseVisualizeMessage, parseVisualizePanelState, type HostToVisualize, type VisualizePanelState, type VisualizeRequest } from "./visualizeMessages";
import type { HypothesisTestResult, VisualizePreview, VisualizeResult } from "../protocol.generated";

/** What the panel needs of the daemon (the command's; injected to keep this file free of the command's imports). */
export interface VisualizeRunner {
  /** Runs unitscope/visualize; `preview` gets each round's image, `progress` each progress line; rejects as the request did. */
  visualize(
    modelId: string,
    request: VisualizeRequest,
    preview: (p: VisualizePreview) => void,
    progress: (text: string) => void,
    token: vscode.CancellationToken,
  ): Promise<VisualizeResult>;
  /** unitscope/hypothesisTest on an image file. */
  hypothesisTest(modelId: string, layer: string, unit: number, image: vscode.Uri): Promise<HypothesisTestResult>;
}

export class VisualizePanel extends PanelBase<HostToVisualize> {
  private static readonly slot = new PanelSlot<VisualizePanelState, VisualizePanel>({
    viewType: "unitscope.visualize",
    name: "visualize",
    script: "visualize.js",
    style: "analysis.css",
    parseState: parseVisualizePanelState,
  });

  private running: vscode.CancellationTokenSource | undefined;

  /** Shows `state` (in the open panel, else a new one) and starts optimising its request unless it already has that result. */
  static show(ctx: Ctx, state: VisualizePanelState, runner: VisualizeRunner): VisualizePanel {
    const existing = VisualizePanel.slot.current;
    const panel = existing ?? VisualizePanel.slot.open(ctx, VisualizePanel.title(state), (p) => new VisualizePanel(p, ctx, state, runner));
    if (existing) {
      existing.runner = runner;
      existing.state = { ...state, tests: existing.state.tests };
      existing.reveal();
    }
    const r = state.result;
    if (r && r.layer === state.request.layer && r.unit === state.request.unit) panel.render();
    else void panel.start(state.request);
    return panel;
  }

  static registerSerializer(ctx: Ctx, runner: VisualizeRunner): vscode.Disposable {
    return VisualizePanel.slot.registerSerializer(ctx, (panel, state) => new VisualizePanel(panel, ctx, state, runner));
  }

  private static title(state: VisualizePanelState): string {
    return `Visualize · ${state.request.layer} unit ${state.request.unit}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: VisualizePanelState,
    private runner: VisualizeRunner,
  ) {
    super(panel, ctx, VisualizePanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = VisualizePanel.title(this.state);
    this.showPage(buildVisualizeHtml({ ...this.resources(), state: this.state, running: this.running !== undefined }));
  }

  /** Optimises `request` (cancelling a run that goes on), showing each round's image; the result replaces the shown one. */
  private async start(request: VisualizeRequest): Promise<void> {
    this.running?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    this.state = { ...this.state, request };
    this.render();
    try {
      const result = await this.runner.visualize(
        this.modelIdOf(this.state.model),
        request,
        (preview) => this.post({ type: "preview", preview }),
        (text) => this.post({ type: "progress", text }),
        cts.token,
      );
      if (this.running !== cts) return;
      this.running = undefined;
      this.state = { ...this.state, result };
      this.render();
    } catch (e) {
      if (this.running !== cts) return;
      this.running = undefined;
      const failure = describeFailure(e);
      this.render();
      this.post(failure.cancelled ? { type: "idle" } : { type: "error", message: failure.message });
    } finally {
      cts.dispose();
    }
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, (m) => parseVisualizeMessage(m, this.state.model));
    if (!message) return;
    switch (message.type) {
      case "invalid":
        this.post({ type: "error", message: message.error });
        return;
      case "run":
        await this.start(message.request);
        return;
      case "cancel":
        this.running?.cancel();
        return;
      case "testImage":
        await this.testImage();
        return;
      case "saveImage":
        await this.saveImage();
        return;
    }
  }

  private async testImage(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: `UnitScope: an image to test unit ${this.state.request.unit} of ${this.state.request.layer} on`,
      openLabel: "Test",
      canSelectMany: false,
      filters: { Images: [...IMAGE_EXTENSIONS], "All files": ["*"] },
    });
    const image = picked?.[0];
    if (!image) return;
    const { layer, unit } = this.state.request;
    this.post({ type: "progress", text: `Testing ${path.basename(image.path)}…` });
    try {
      const result = await this.runner.hypothesisTest(this.modelIdOf(this.state.model), layer, unit, image);
      this.state = { ...this.state, tests: [{ image: path.basename(image.path), result }, ...this.state.tests].slice(0, 12) };
      this.render();
    } catch (e) {
      this.post({ type: "error", message: describeFailure(e).message });
    }
  }

  private async saveImage(): Promise<void> {
    const r = this.state.result;
    if (!r) return;
    const target = await vscode.window.showSaveDialog({
      title: "UnitScope: save the optimised image",
      filters: { PNG: ["png"] },
      ...(vscode.workspace.workspaceFolders?.[0]
        ? { defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, `${r.layer}-unit${r.unit}-seed${r.seed}.png`) }
        : {}),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(r.imagePng, "base64"));
  }

  override dispose(): void {
    this.running?.cancel();
    super.dispose();
  }
}
