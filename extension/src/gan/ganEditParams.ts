// The unitscope/ganEdit request the GAN panel sends for what its page asked. Pure (no `vscode` import),
// so it is tested in node.

import type { GanEditParams } from "../protocol.generated";
import type { GanEditRequest, GanPanelState } from "./ganMessages";

/** Samples an intervention is measured over (the daemon's default: held-out seed 1001), and before/after pairs shown. */
const EDIT_SAMPLES = 200;
const EDIT_EXAMPLES = 6;

/** The ganEdit request for what the page asked, with the dissection's own settings (so it comes from the cache). */
export function ganEditParams(state: GanPanelState, modelId: string, message: GanEditRequest): Omit<GanEditParams, "workDoneToken"> {
  return {
    modelId,
    layer: state.request.layer,
    concept: message.concept,
    units: message.units,
    samples: EDIT_SAMPLES,
    examples: EDIT_EXAMPLES,
    dissectSamples: state.request.samples,
    ...(state.request.segmenterPath ? { segmenterPath: state.request.segmenterPath } : {}),
    ...(message.region ? { region: message.region } : {}),
  };
}
