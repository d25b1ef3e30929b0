// Script of the unit-gallery webview (bundled by esbuild to media/gallery.js). The HTML arrives
// fully drawn from galleryHtml.ts; this script persists the state for the serializer, checks the
// form (unit, projection method, number of images; ‹ › step through units) and sends it as a typed
// message, and shows the extension's busy and error messages.

import { byId, embeddedState, vsCodeApi, listenToHost } from "../../webview/page";
import { checkGalleryRequest, parseGalleryPanelState, type GalleryToHost, type HostToGallery, type GalleryPanelState } from "../galleryMessages";

const vscode = vsCodeApi<GalleryToHost, GalleryPanelState>();
const state = parseGalleryPanelState(embeddedState());
if (state) vscode.setState(state);

const status = byId<HTMLParagraphElement>("status");
const form = byId<HTMLFormElement>("options");
const run = byId<HTMLButtonElement>("run");
const unitInput = byId<HTMLInputElement>("unit");

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

function submit(): void {
  if (!state || run?.getAttribute("aria-disabled") === "true") return;
  const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id)?.value.trim() ?? "";
  const int = (text: string) => (text === "" ? undefined : Number(text));
  const checked = checkGalleryRequest({ unit: int(value("unit")), method: value("method"), k: int(value("k")) }, state.model.units);
  if ("error" in checked) {
    setStatus(checked.error, "error");
    return;
  }
  setStatus("Running…", "busy");
  vscode.postMessage({ type: "rerun", request: checked.request });
}

form?.addEventListener("submit", (e) => {
  e.preventDefault();
  submit();
});

function step(delta: number): void {
  if (!state || !unitInput) return;
  const current = Number(unitInput.value);
  const next = (Number.isInteger(current) ? current : state.request.unit) + delta;
  if (next < 0 || next >= state.model.units) return;
  unitInput.value = String(next);
  submit();
}
byId("previous")?.addEventListener("click", () => step(-1));
byId("next")?.addEventListener("click", () => step(1));

listenToHost<HostToGallery>(vscode, (m) => {
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
