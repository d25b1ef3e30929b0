// What every webview panel does the same way: one panel of a kind at a time, opened beside the
// editor or restored by VS Code's serializer after a reload (a state that cannot be read closes it),
// scripts on and command links off with only the extension's media loadable, the page's resources
// (its script, media/base.css and its own stylesheet), typed messages both ways, and disposal. Each
// panel class keeps only what is its own: its state, its page, and what its messages do.

import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { HeldMessages, isPageReady, withPageNumber } from "./pageReady";
import type { PageResources } from "./panelHtml";

/** A kind of panel: what VS Code knows it by, what logs call it, and its page's files in media/. */
export interface PanelKind<S> {
  readonly viewType: string;
  /** In log lines: "ablation" → "the ablation panel". */
  readonly name: string;
  /** The bundled webview script and the page's own stylesheet, in media/. */
  readonly script: string;
  readonly style: string;
  /** The state a restored panel persisted; undefined when it is missing or unreadable. */
  readonly parseState: (persisted: unknown) => S | undefined;
  /** A new panel leaves the focus where it was (the unit map, opened from a hover). */
  readonly preserveFocus?: boolean;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
  };
}

/** How long a page has to report that it listens before held messages are sent regardless. */
const UNREPORTED_PAGE_MS = 15_000;

/** The one open panel of a kind. */
export class PanelSlot<S, P extends { dispose(): void }> {
  current: P | undefined;

  constructor(readonly kind: PanelKind<S>) {}

  /** A new panel beside the editor, made by `make`; it becomes the current one. */
  open(ctx: Ctx, title: string, make: (panel: vscode.WebviewPanel) => P): P {
    const panel = vscode.window.createWebviewPanel(
      this.kind.viewType,
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: this.kind.preserveFocus ?? false },
      webviewOptions(ctx.extensionUri),
    );
    this.current = make(panel);
    return this.current;
  }

  /** Re-attaches the panels VS Code restores after a reload (replacing the open one); one without a usable state is closed. */
  registerSerializer(ctx: Ctx, make: (panel: vscode.WebviewPanel, state: S) => P): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(this.kind.viewType, {
      deserializeWebviewPanel: async (panel, persisted) => {
        const state = this.kind.parseState(persisted);
        if (!state) {
          ctx.output.warn(`Closing a restored ${this.kind.name} panel: its saved state is missing or unreadable.`);
          panel.dispose();
          return;
        }
        this.current?.dispose();
        panel.webview.options = webviewOptions(ctx.extensionUri);
        this.current = make(panel, state);
      },
    });
  }

  /** Forgets `panel` if it is the current one (it is being disposed). */
  release(panel: P): void {
    if (this.current === panel) this.current = undefined;
  }
}

/**
 * The base of every panel class: the webview's messages in, typed messages out (held until the page
 * listens: pageReady.ts says why), its page's resources and HTML, disposal.
 */
export abstract class PanelBase<ToWebview> {
  protected readonly disposables: vscode.Disposable[] = [];
  private readonly toPage = new HeldMessages<ToWebview>((message) => void this.panel.webview.postMessage(message));

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    protected readonly ctx: Ctx,
    private readonly slot: { readonly kind: PanelKind<unknown>; release(panel: PanelBase<ToWebview>): void },
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => {
        if (isPageReady(raw)) this.toPage.ready(raw.page);
        else void this.onMessage(raw);
      }),
      // A hidden panel's page is unloaded (no retainContextWhenHidden); shown again, it reloads and reports anew.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.toPage.pageGone();
      }),
    );
  }

  /** What the webview sent, as it arrived: parse it with {@link received}. */
  protected abstract onMessage(raw: unknown): void | Promise<void>;

  /** The message `parse` makes of `raw`; one it does not know is logged and dropped. */
  protected received<M>(raw: unknown, parse: (raw: unknown) => M | undefined): M | undefined {
    const message = parse(raw);
    if (!message) this.ctx.output.warn(`Ignored an unknown message from the ${this.slot.kind.name} panel: ${JSON.stringify(raw)?.slice(0, 200)}`);
    return message;
  }

  /** Sends `message` to the page once it listens. */
  protected post(message: ToWebview): void {
    this.toPage.post(message);
  }

  /** Shows `html` as the panel's page (a new page: messages for the old one are dropped). */
  protected showPage(html: string): void {
    const page = this.toPage.newPage();
    this.panel.webview.html = withPageNumber(html, page);
    // A page whose script never reports (one not written with listenToHost) would get nothing at all:
    // after a while, send what waits anyway, and say why in the log.
    clearTimeout(this.unreportedPage);
    this.unreportedPage = setTimeout(() => {
      if (this.toPage.waiting === 0 || this.toPage.listens) return;
      this.ctx.output.warn(
        `The ${this.slot.kind.name} panel's page did not report that it listens (its script should use listenToHost); sending ${this.toPage.waiting} messages anyway.`,
      );
      this.toPage.ready(page);
    }, UNREPORTED_PAGE_MS);
  }

  private unreportedPage: ReturnType<typeof setTimeout> | undefined;

  /** Brings the panel to the front without taking the focus. */
  protected reveal(): void {
    this.panel.reveal(undefined, true);
  }

  /** The CSP source and the page's media, as the HTML builders take them. */
  protected resources(): PageResources {
    const webview = this.panel.webview;
    const media = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, "media", file)).toString();
    return { cspSource: webview.cspSource, scriptUri: media(this.slot.kind.script), baseStyleUri: media("base.css"), styleUri: media(this.slot.kind.style) };
  }

  /** The daemon's id for a model the panel shows: the active model's when it was loaded from the same bytes (the daemon may have restarted). */
  protected modelIdOf(model: { modelId: string; checkpointHash: string }): string {
    const active = this.ctx.activeModel;
    return active && active.checkpointHash === model.checkpointHash ? active.modelId : model.modelId;
  }

  dispose(): void {
    clearTimeout(this.unreportedPage);
    this.slot.release(this);
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
