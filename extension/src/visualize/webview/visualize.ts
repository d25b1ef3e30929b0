// Script of the "Visualize unit" webview (bundled by esbuild to media/visualize.js). The HTML arrives
// drawn from visualizeHtml.ts; this script persists the state for the serializer, swaps in each
// round's image while a run goes on, checks the form and sends it, and forwards Cancel, "Test an
// image" and "Save" to the extension.

import { byId, embeddedState, vsCodeApi, listenToHost } from "../../webview/page";
import {
  checkVisualizeRequest,
  displayScale,
  isVisualizePreview,
  parseVisualizePanelState,
  type HostToVisualize,
  type VisualizePanelState,
  type VisualizeToHost,
} from "../visualizeMessages";

const vscode = vsCodeApi<VisualizeToHost, VisualizePanelState>();
const state = parseVisualizePanelState(embeddedState());
if (state) vscode.setState(state);

const status = byId<HTMLParagraphElement>("status");
const run = byId<HTMLButtonElement>("run");
const cancel = byId<HTMLButtonElement>("cancel");

function setStatus(text: string, kind: "busy" | "error" | "idle"): void {
  if (status) {
    status.textContent = text;
    status.className = kind === "error" ? "status error" : "status";
  }
  document.body.classList.toggle("busy", kind === "busy");
  if (kind === "busy") run?.setAttribute("aria-disabled", "true");
  else run?.removeAttribute("aria-disabled");
  cancel?.classList.toggle("hidden", kind !== "busy");
}

function formRequest(): Record<string, unknown> {
  const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id)?.value.trim() ?? "";
  const int = (text: string) => (text === "" ? undefined : Number(text));
  return {
    layer: value("layer"),
    unit: int(value("unit")),
    objective: value("objective"),
    seed: int(value("seed")),
    rounds: int(value("rounds")),
    steps: int(value("steps")),
  };
}

byId<HTMLFormElement>("options")?.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!state || run?.getAttribute("aria-disabled") === "true") return;
  const checked = checkVisualizeRequest(formRequest(), state.model);
  if ("error" in checked) {
    setStatus(checked.error, "error");
    return;
  }
  setStatus("Starting…", "busy");
  vscode.postMessage({ type: "run", request: checked.request });
});
cancel?.addEventListener("click", () => vscode.postMessage({ type: "cancel" }));
byId("test-image")?.addEventListener("click", () => vscode.postMessage({ type: "testImage" }));
byId("save-image")?.addEventListener("click", () => vscode.postMessage({ type: "saveImage" }));

// The page is drawn with a Cancel button while a run goes on.
if (cancel && !cancel.classList.contains("hidden")) setStatus("Optimising…", "busy");

listenToHost<HostToVisualize>(vscode, (m) => {
  switch (m?.type) {
    case "preview": {
      if (!isVisualizePreview(m.preview)) return;
      const image = byId<HTMLImageElement>("optimised");
      if (image) {
        image.src = `data:image/png;base64,${m.preview.imagePng}`;
        image.onload = () => {
          const scale = displayScale(image.naturalWidth, image.naturalHeight);
          image.width = image.naturalWidth * scale;
          image.height = image.naturalHeight * scale;
        };
        image.classList.remove("hidden");
      }
      const caption = byId("image-caption");
      if (caption) caption.textContent = `Round ${m.preview.round} of ${m.preview.rounds}: activation ${m.preview.activation.toPrecision(4)}`;
      break;
    }
    case "progress":
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
