// Compile-time only (never run): pins that the typed request helper rejects wrong uses of the
// generated protocol. `npm run typecheck` fails if any @ts-expect-error below stops being an error,
// i.e. if the helper stops checking methods, params or results against the generated types.

import type { RequestFn } from "../src/rpc";

export async function protocolUsage(request: RequestFn): Promise<void> {
  // Right uses compile.
  const info = await request("unitscope/loadModel", { path: "/m.pth", architecture: "smallcnn" });
  const layerNames: string[] = info.layers.map((l) => l.name);
  const map = await request("unitscope/unitMap", { modelId: info.modelId, layer: layerNames[0] ?? "", unit: 0, imagePath: "/i.png" });
  const png: string = map.overlayPng;
  void png;

  // @ts-expect-error: no such method.
  await request("unitscope/loadModels", { path: "/m.pth" });
  // @ts-expect-error: LSP methods are the language client's, not the helper's.
  await request("textDocument/hover", { textDocument: { uri: "file:///a.py" }, position: { line: 0, character: 0 } });
  // @ts-expect-error: path is required.
  await request("unitscope/loadModel", { architecture: "alexnet" });
  // @ts-expect-error: unit is a number.
  await request("unitscope/unitMap", { modelId: "m", layer: "conv1", unit: "3" });
  // @ts-expect-error: inputSize is [height, width], not a number.
  await request("unitscope/loadModel", { path: "/m.pth", inputSize: 224 });
  // @ts-expect-error: listLayers answers { layers }, not an array.
  const layers: unknown[] = await request("unitscope/listLayers", { modelId: "m" });
  void layers;
  // @ts-expect-error: ModelInfo has no `name`.
  void info.name;
}
