// Script of the unit-map webview (bundled by esbuild to media/unitMap.js). The HTML arrives fully
// rendered from panelHtml.ts; this script persists the state for the serializer, drives the
// opacity slider, and turns button clicks into typed messages to the extension.

import { DEFAULT_OPACITY, parseUnitMapPanelState, type HostToUnitMap, type UnitMapPanelState, type UnitMapToHost } from "../unitMapMessages";
import { byId, opacitySlider, stateWithChosenOpacity, unitButtons, vsCodeApi, listenToHost } from "./page";

const vscode = vsCodeApi<UnitMapToHost, UnitMapPanelState>();

// The opacity the user chose survives re-renders (another unit) and reloads.
let state = stateWithChosenOpacity(vscode, parseUnitMapPanelState, DEFAULT_OPACITY);

const status = byId<HTMLParagraphElement>("status");

const applyOpacity = opacitySlider((opacity) => {
  if (state) {
    state = { ...state, opacity };
    vscode.setState(state);
  }
});
if (state) applyOpacity(state.opacity);

unitButtons((unit) => vscode.postMessage({ type: "showUnit", unit }));
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

listenToHost<HostToUnitMap>(vscode, (m) => {
  switch (m?.type) {
    case "busy":
      setStatus(String(m.text), "busy");
      break;
    case "error":
      setStatus(String(m.message), "error");
      break;
  }
});
