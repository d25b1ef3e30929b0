// Script of the unit-map webview (bundled by esbuild to media/unitMap.js). The HTML arrives fully
// rendered from panelHtml.ts; this script persists the state for the serializer, drives the
// opacity slider, and turns button clicks into typed messages to the extension.

import {
  DEFAULT_OPACITY,
  parseUnitMapPanelState,
  type HostToUnitMap,
  type UnitMapPanelState,
  type UnitMapToHost,
} from "../messages";

interface VsCodeApi {
  postMessage(message: UnitMapToHost): void;
  getState(): unknown;
  setState(state: UnitMapPanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function byId<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

const embedded = parseUnitMapPanelState(JSON.parse(byId("unitscope-state")?.textContent ?? "null"));
// The opacity the user chose survives re-renders (another unit) and reloads.
const previous = parseUnitMapPanelState(vscode.getState());
let state: UnitMapPanelState | undefined = embedded
  ? { ...embedded, opacity: previous?.opacity ?? embedded.opacity ?? DEFAULT_OPACITY }
  : undefined;
if (state) vscode.setState(state);

const overlay = byId<HTMLImageElement>("overlay");
const slider = byId<HTMLInputElement>("opacity");
const status = byId<HTMLParagraphElement>("status");

function applyOpacity(opacity: number): void {
  if (overlay) overlay.style.opacity = String(opacity);
  if (slider) slider.value = String(Math.round(opacity * 100));
}
if (state) applyOpacity(state.opacity);

slider?.addEventListener("input", () => {
  const opacity = Math.min(1, Math.max(0, Number(slider.value) / 100));
  applyOpacity(opacity);
  if (state) {
    state = { ...state, opacity };
    vscode.setState(state);
  }
});

for (const id of ["prev", "next"]) {
  const button = byId<HTMLButtonElement>(id);
  button?.addEventListener("click", () => {
    const unit = Number(button.dataset.unit);
    if (Number.isInteger(unit) && unit >= 0) vscode.postMessage({ type: "showUnit", unit });
  });
}
byId("pick")?.addEventListener("click", () => vscode.postMessage({ type: "pickUnit" }));
byId("open-image")?.addEventListener("click", () => vscode.postMessage({ type: "openImage" }));

function setStatus(text: string, kind: "busy" | "error"): void {
  if (!status) return;
  status.textContent = text;
  status.className = `status ${kind}`;
  document.body.classList.toggle("busy", kind === "busy");
  for (const id of ["prev", "next", "pick"]) {
    const b = byId<HTMLButtonElement>(id);
    if (b && kind === "busy") b.setAttribute("aria-disabled", "true");
    else b?.removeAttribute("aria-disabled");
  }
}

window.addEventListener("message", (event: MessageEvent<HostToUnitMap>) => {
  const m = event.data;
  switch (m?.type) {
    case "busy":
      setStatus(String(m.text), "busy");
      break;
    case "error":
      setStatus(String(m.message), "error");
      break;
  }
});
