// Script of the correspondence webview (bundled by esbuild to media/correspondence.js): the page is
// drawn whole by correspondenceHtml.ts; this only persists its state for the serializer.

import { embeddedState, vsCodeApi } from "../../webview/page";
import { parseCorrespondencePanelState, type CorrespondencePanelState } from "../correspondenceMessages";

const vscode = vsCodeApi<never, CorrespondencePanelState>();
const state = parseCorrespondencePanelState(embeddedState());
if (state) vscode.setState(state);
