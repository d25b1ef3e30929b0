// Script of the invariance webview (bundled by esbuild to media/invariance.js): the page is drawn
// whole by invarianceHtml.ts; this only persists its state for the serializer.

import { embeddedState, vsCodeApi } from "../../webview/page";
import { parseInvariancePanelState, type InvariancePanelState } from "../invarianceMessages";

const vscode = vsCodeApi<never, InvariancePanelState>();
const state = parseInvariancePanelState(embeddedState());
if (state) vscode.setState(state);
