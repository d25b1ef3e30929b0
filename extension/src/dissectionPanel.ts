// The dissection panel: every dissected layer of one model, a per-category summary and a table of
// units with their cards. One panel at a time; it survives window reloads through its serializer
// and the state its webview persists. Cards travel over the protocol (unitscope/unitCard) as the
// webview asks for them, at most two at a time.

import * as path from "node:path";
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { DaemonUnavailable } from "./ctx";
import { buildDissectionHtml } from "./dissectionHtml";
import {
  defaultUi,
  mergeLayers,
  parseDissectionMessage,
  parseDissectionPanelState,
  type DissectionModelRef,
  type DissectionPanelState,
  type HostToDissection,
} from "./dissectionMessages";
import { describeFailure } from "./errors";
import { ErrorKind, type LayerDissection, type ModelInfo } from "./protocol.generated";

/** Card requests in flight at once (each runs the model on the unit's top images). */
const MAX_CARDS_IN_FLIGHT = 2;

export function modelRef(model: ModelInfo): DissectionModelRef {
  return {
    modelId: model.modelId,
    checkpointHash: model.checkpointHash,
    modelLabel: `${path.basename(model.path)} (${model.architecture})`,
  };
}

export class DissectionPanel {
  static readonly viewType = "unitscope.dissection";
  private static current: DissectionPanel | undefined;

  private state: DissectionPanelState;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly queue: { layer: string; unit: number }[] = [];
  private inFlight = 0;

  /**
   * Shows `layers` of `model`: added to the open panel when it shows the same checkpoint (and
   * `select` is brought to the front), else in a new panel.
   */
  static show(ctx: Ctx, model: DissectionModelRef, layers: LayerDissection[], select?: string): DissectionPanel | undefined {
    if (layers.length === 0) return undefined;
    const order = ctx.activeModel?.checkpointHash === model.checkpointHash ? ctx.activeModel.layers.map((l) => l.name) : undefined;
    const existing = DissectionPanel.current;
    if (existing && existing.state.model.checkpointHash === model.checkpointHash) {
      existing.update(model, layers, order, select);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const merged = mergeLayers([], layers, order);
    const state: DissectionPanelState = { version: 1, model, layers: merged, ui: defaultUi(select ?? merged[0]!.layer) };
    if (existing) {
      existing.replace(state);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      DissectionPanel.viewType,
      DissectionPanel.title(state),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      DissectionPanel.webviewOptions(ctx.extensionUri),
    );
    DissectionPanel.current = new DissectionPanel(panel, ctx, state);
    return DissectionPanel.current;
  }

  /** The open panel's model and layers, if any (to add layers to it as a dissection completes). */
  static get open(): DissectionPanelState | undefined {
    return DissectionPanel.current?.state;
  }

  /** Re-attaches a panel VS Code restored after a reload; one without a usable state is closed. */
  static revive(panel: vscode.WebviewPanel, ctx: Ctx, persisted: unknown): void {
    const state = parseDissectionPanelState(persisted);
    if (!state) {
      ctx.output.warn("Closing a restored dissection panel: its saved state is missing or unreadable.");
      panel.dispose();
      return;
    }
    DissectionPanel.current?.dispose();
    panel.webview.options = DissectionPanel.webviewOptions(ctx.extensionUri);
    DissectionPanel.current = new DissectionPanel(panel, ctx, state);
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(DissectionPanel.viewType, {
      deserializeWebviewPanel: async (panel, state) => DissectionPanel.revive(panel, ctx, state),
    });
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
    };
  }

  private static title(state: DissectionPanelState): string {
    return `Dissection · ${state.model.modelLabel}`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    state: DissectionPanelState,
  ) {
    this.state = state;
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
    );
    this.render();
  }

  private render(): void {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.ctx.extensionUri, "media");
    this.panel.title = DissectionPanel.title(this.state);
    webview.html = buildDissectionHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "dissection.js")).toString(),
      baseStyleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "base.css")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "dissection.css")).toString(),
      state: this.state,
    });
  }

  private replace(state: DissectionPanelState): void {
    this.state = state;
    this.queue.length = 0;
    this.render();
  }

  private update(model: DissectionModelRef, layers: LayerDissection[], order: readonly string[] | undefined, select: string | undefined): void {
    const merged = mergeLayers(this.state.layers, layers, order);
    this.state = { ...this.state, model, layers: merged, ui: select ? { ...this.state.ui, layer: select } : this.state.ui };
    const message: HostToDissection = { type: "layers", layers: merged, changed: layers.map((l) => l.layer) };
    if (select) message.select = select;
    this.post(message);
  }

  private post(message: HostToDissection): void {
    void this.panel.webview.postMessage(message);
  }

  private onMessage(raw: unknown): void {
    const message = parseDissectionMessage(raw);
    if (!message) {
      this.ctx.output.warn(`Ignored an unknown message from the dissection panel: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case "card":
        if (!this.state.layers.some((l) => l.layer === message.layer)) return;
        this.queue.push({ layer: message.layer, unit: message.unit });
        this.pump();
        return;
      case "dissectMore":
        void vscode.commands.executeCommand("unitscope.dissectLayer", { modelId: this.modelId() });
        return;
      case "openUnit":
        void vscode.commands.executeCommand("unitscope.openUnitCard", { modelId: this.modelId(), layer: message.layer, unit: message.unit });
        return;
    }
  }

  /** The daemon may have restarted: the active model's id when it was loaded from the same bytes. */
  private modelId(): string {
    const active = this.ctx.activeModel;
    return active && active.checkpointHash === this.state.model.checkpointHash ? active.modelId : this.state.model.modelId;
  }

  private pump(): void {
    while (this.inFlight < MAX_CARDS_IN_FLIGHT && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.inFlight++;
      void this.fetchCard(next.layer, next.unit).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async fetchCard(layerName: string, unit: number): Promise<void> {
    const layer = this.state.layers.find((l) => l.layer === layerName);
    if (!layer) return;
    const o = layer.options;
    try {
      const card = await this.ctx.request("unitscope/unitCard", {
        modelId: this.modelId(),
        layer: layerName,
        unit,
        dataset: layer.dataset,
        options: { quantile: o.quantile, iouThreshold: o.iouThreshold, topImages: o.topImages, ...(o.maxImages ? { maxImages: o.maxImages } : {}) },
      });
      this.post({ type: "card", layer: layerName, unit, png: card.png, width: card.width, height: card.height });
    } catch (e) {
      const failure = describeFailure(e);
      const message =
        e instanceof DaemonUnavailable
          ? "The daemon is not running."
          : failure.kind === ErrorKind.UnknownModel
            ? "Load the model again to see its images."
            : failure.message;
      this.post({ type: "cardError", layer: layerName, unit, message });
      if (!(e instanceof DaemonUnavailable) && failure.kind !== ErrorKind.UnknownModel)
        this.ctx.output.warn(`unitCard ${layerName}#${unit}: ${failure.message}`);
    }
  }

  dispose(): void {
    if (DissectionPanel.current === this) DissectionPanel.current = undefined;
    this.queue.length = 0;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
