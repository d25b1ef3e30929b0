import { PAGE_NUMBER_META, PAGE_READY, type PageReady } from "../pageReady";
import type { SkippedImages } from "../protocol.generated";

// What every panel's webview script starts from (bundled into each by esbuild): the VS Code API,
// elements by id, the state the page was rendered with, builders of elements that take text (never
// HTML), and the controls two pages share (the overlay opacity slider, previous/next unit buttons).

/** The webview's side of VS Code, typed by what the script sends and what it persists. */
export interface VsCodeApi<ToHost, State> {
  postMessage(message: ToHost): void;
  getState(): unknown;
  setState(state: State): void;
}
declare function acquireVsCodeApi(): VsCodeApi<unknown, unknown>;

/** The page's API; VS Code lets a page acquire it once, so a script calls this once, first. */
export function vsCodeApi<ToHost, State>(): VsCodeApi<ToHost, State> {
  return acquireVsCodeApi() as VsCodeApi<ToHost, State>;
}

/**
 * Hands the host's messages to `handle`, then tells the host the page listens (it holds what it
 * posts until then: pageReady.ts). A script that receives messages calls this instead of adding
 * its own "message" listener.
 */
export function listenToHost<M>(vscode: VsCodeApi<never, unknown>, handle: (message: M) => void): void {
  window.addEventListener("message", (event: MessageEvent<M>) => handle(event.data));
  const page = Number(document.querySelector<HTMLMetaElement>(`meta[name="${PAGE_NUMBER_META}"]`)?.content ?? 0);
  const ready: PageReady = { type: PAGE_READY, page: Number.isInteger(page) ? page : 0 };
  (vscode as unknown as VsCodeApi<PageReady, unknown>).postMessage(ready);
}

export function byId<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** The state the page was rendered with (JSON in #unitscope-state), unchecked: each script parses it with its own parser. */
export function embeddedState(): unknown {
  return JSON.parse(byId("unitscope-state")?.textContent ?? "null");
}

export const SVG = "http://www.w3.org/2000/svg";

/** An element with a class and text (set as text, never parsed). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * The #opacity slider (0–100) over the page's `img.overlay` images: moving it sets their opacity
 * and reports the new value (0–1) to `changed`. Returns what sets the images and the slider to a value.
 */
export function opacitySlider(changed: (opacity: number) => void): (opacity: number) => void {
  const slider = byId<HTMLInputElement>("opacity");
  const apply = (opacity: number) => {
    for (const img of document.querySelectorAll<HTMLImageElement>("img.overlay")) img.style.opacity = String(opacity);
    if (slider) slider.value = String(Math.round(opacity * 100));
  };
  slider?.addEventListener("input", () => {
    const opacity = Math.min(1, Math.max(0, Number(slider.value) / 100));
    apply(opacity);
    changed(opacity);
  });
  return apply;
}

/** The #prev and #next buttons: each asks for the unit in its `data-unit`. */
export function unitButtons(show: (unit: number) => void): void {
  for (const id of ["prev", "next"]) {
    const button = byId<HTMLButtonElement>(id);
    button?.addEventListener("click", () => {
      const unit = Number(button.dataset.unit);
      if (Number.isInteger(unit) && unit >= 0) show(unit);
    });
  }
}

/**
 * The state the page was rendered with, keeping the overlay opacity the user chose last (it survives
 * re-renders and reloads), persisted at once for the serializer; undefined when the page has none.
 */
export function stateWithChosenOpacity<S extends { opacity?: number }>(
  vscode: VsCodeApi<unknown, S>,
  parse: (value: unknown) => S | undefined,
  defaultOpacity: number,
): S | undefined {
  const embedded = parse(embeddedState());
  if (!embedded) return undefined;
  const state = { ...embedded, opacity: parse(vscode.getState())?.opacity ?? embedded.opacity ?? defaultOpacity };
  vscode.setState(state);
  return state;
}

/** "1 image", "4 images": a count with its noun in the right number. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * Fills `host` with what a result says about images it left out (they could not be read): a
 * collapsed note with the count, each image's problem listed inside; empties it when there were none.
 */
export function renderSkipped(host: HTMLElement | null, skipped: SkippedImages | undefined): void {
  if (!host) return;
  if (!skipped || skipped.count === 0) {
    host.replaceChildren();
    return;
  }
  const details = el("details", "skipped");
  details.append(el("summary", undefined, `${count(skipped.count, "image")} could not be read and ${skipped.count === 1 ? "was" : "were"} left out`));
  const list = el("ul");
  for (const problem of skipped.problems) list.append(el("li", undefined, problem));
  if (skipped.count > skipped.problems.length) list.append(el("li", "muted", `… and ${skipped.count - skipped.problems.length} more`));
  details.append(list);
  host.replaceChildren(details);
}
