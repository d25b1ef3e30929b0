// Script of the occlusion webview (bundled by esbuild to media/occlusion.js). The HTML arrives fully
// drawn from occlusionHtml.ts; this script persists the state for the serializer, drives the
// opacity slider of the heatmaps, checks the "Run again" form and sends it as a typed message, and
// shows the extension's busy and error messages.

import {
  checkOcclusionRequest,
  DEFAULT_OPACITY,
  limitsOf,
  parseOcclusionPanelState,
  type HostToOcclusion,
  type OcclusionPanelState,
  type OcclusionToHost,
} from "../occlusionMessages";
import { byId, opacitySlider, stateWithChosenOpacity, vsCodeApi, listenToHost } from "./page";

const vscode = vsCodeApi<OcclusionToHost, OcclusionPanelState>();

// The opacity the user chose survives re-runs and reloads.
let state = stateWithChosenOpacity(vscode, parseOcclusionPanelState, DEFAULT_OPACITY);

const status = byId<HTMLParagraphElement>("status");
const form = byId<HTMLFormElement>("options");
const run = byId<HTMLButtonElement>("run");

const applyOpacity = opacitySlider((opacity) => {
  if (state) {
    state = { ...state, opacity };
    vscode.setState(state);
  }
});
if (state) applyOpacity(state.opacity);

function setStatus(text: string, kind: "busy" | "error" | "idle"): void {
  if (status) {
    status.textContent = text;
    status.className = kind === "error" ? "status error" : "status";
  }
  document.body.classList.toggle("busy", kind === "busy");
  if (run) {
    if (kind === "busy") run.setAttribute("aria-disabled", "true");
    else run.removeAttribute("aria-disabled");
  }
}

/** The form's values as the request shape (empty fields: not given). */
function formRequest(): Record<string, unknown> {
  const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id)?.value.trim() ?? "";
  const int = (text: string) => (text === "" ? undefined : Number(text));
  const request: Record<string, unknown> = {
    size: int(value("size")),
    stride: int(value("stride")),
    fill: value("fill"),
  };
  if (value("target") !== "") request.targetClass = int(value("target"));
  if (value("layer") !== "") request.layer = value("layer");
  if (value("unit") !== "") request.unit = int(value("unit"));
  return request;
}

form?.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!state || run?.getAttribute("aria-disabled") === "true") return;
  const checked = checkOcclusionRequest(formRequest(), limitsOf(state));
  if ("error" in checked) {
    setStatus(checked.error, "error");
    return;
  }
  setStatus("Running…", "busy");
  vscode.postMessage({ type: "rerun", request: checked.request });
});

byId("open-image")?.addEventListener("click", () => vscode.postMessage({ type: "openImage" }));

listenToHost<HostToOcclusion>(vscode, (m) => {
  switch (m?.type) {
    case "busy":
      setStatus(String(m.text), "busy");
      break;
    case "error":
      setStatus(String(m.message), "error");
      break;
    case "idle":
      setStatus("", "idle");
      break;
  }
});
