// The tests in a real VS Code (code-server from npm, offline), driven with playwright-core and
// Debian's Chromium:
//   1. the extension's own suite (host/*.test.ts) inside its real extension host, the extension
//      loaded from this folder (extensionDevelopmentPath), results written to a file;
//   2. a UI test of the packaged .vsix, installed into a fresh VS Code, used as a person would
//      (ui.ts), with screenshots of each panel in the light and dark themes;
//   3. the install a new user does (freshInstall.ts): the .vsix in a fresh profile with no settings,
//      the daemon as the .NET tool in ~/.dotnet/tools; the status turns ready, hovers work.
// Prints mocha-style results ("N passing", "N failing") for scripts/test.sh.
//
//   node out/editor/test-editor/driver.js   (scripts/editor-test.sh sets the environment)
//   UNITSCOPE_CODE_SERVER  code-server launcher      UNITSCOPE_NODE24  Node 24 folder (bin/node)
//   UNITSCOPE_VSIX         the packaged extension    UNITSCOPE_SCREENSHOTS  where screenshots go (a
//                          relative path is taken from the repository's root: docs/screenshots)
//   UNITSCOPE_TOOL_DIR     the installed .NET tool's folder (`dotnet tool install --tool-path`), for part 3
//   UNITSCOPE_EDITOR_ONLY  "host", "ui" or "fresh" to run one part
//   UNITSCOPE_UI_STEPS     a regular expression: run only the UI steps whose titles match (the others
//                          are listed as pending; a step may need an earlier one)
//   UNITSCOPE_TEST_PYTHON  a Python with PyTorch for "Import model from training code" (else
//                          /usr/bin/python3; that step is skipped, saying why, when neither has torch)

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HostResults } from "./host/index";
import { findTorchPython } from "../test/support/python";
import { installExtension, startCodeServer, writeUserSettings } from "./codeServer";
import { runFreshInstall } from "./freshInstall";
import { runUiTest, type StepResult } from "./ui";

const EXTENSION_ROOT = path.resolve(__dirname, "../../..");
const REPO_ROOT = path.resolve(EXTENSION_ROOT, "..");
const DLL = path.join(REPO_ROOT, "server/UnitScope.Cli/bin/Debug/net10.0/unitscope.dll");

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (scripts/editor-test.sh sets it)`);
  return v;
}

/** A Python with PyTorch (the exporter's interpreter), or why there is none. */
const TORCH_PYTHON = findTorchPython();

/**
 * A workspace like a user's: the sample training script and checkpoint, an image, an image-folder
 * evaluation set; the interpreter with PyTorch as unitscope.pythonPath when there is one.
 */
function makeWorkspace(dir: string, cache: string): void {
  const samples = path.join(REPO_ROOT, "samples");
  fs.mkdirSync(path.join(dir, ".vscode"), { recursive: true });
  for (const f of ["train_smallcnn.py", "smallcnn.pth", "smallcnn.classes.txt"]) fs.copyFileSync(path.join(samples, f), path.join(dir, f));
  fs.copyFileSync(path.join(samples, "images/circle.png"), path.join(dir, "circle.png"));
  for (const cls of ["circle", "square", "triangle", "cross"]) {
    fs.mkdirSync(path.join(dir, "eval", cls), { recursive: true });
    fs.copyFileSync(path.join(samples, "images", `${cls}.png`), path.join(dir, "eval", cls, `${cls}.png`));
  }
  fs.writeFileSync(
    path.join(dir, ".vscode/settings.json"),
    JSON.stringify(
      {
        "unitscope.server.command": DLL,
        // The tiny Broden fixture dissects in seconds (the built-in probe set takes ~45 s to generate).
        "unitscope.dissection.dataset": path.join(REPO_ROOT, "tests/fixtures/broden_mini"),
        "unitscope.cacheDirectory": cache,
        ...("python" in TORCH_PYTHON ? { "unitscope.pythonPath": TORCH_PYTHON.python } : {}),
      },
      null,
      1,
    ),
  );
}

interface Report {
  passes: string[];
  failures: { title: string; error: string }[];
  pending: string[];
}

async function runHostSuite(base: string, codeServer: string, node24: string): Promise<Report> {
  const ws = path.join(base, "host-ws");
  const ud = path.join(base, "host-ud");
  const results = path.join(base, "host-results.json");
  makeWorkspace(ws, path.join(base, "host-cache"));
  writeUserSettings(ud, "Default Dark Modern");
  const server = await startCodeServer({
    bin: codeServer,
    node24,
    userDataDir: ud,
    extensionsDir: path.join(base, "host-ext"),
    workspace: ws,
    env: { UNITSCOPE_EDITOR_RESULTS: results },
    log: path.join(base, "host-code-server.log"),
  });
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ["extensionDevelopmentPath", remote(EXTENSION_ROOT)],
      ["extensionTestsPath", remote(path.join(EXTENSION_ROOT, "out/editor/test-editor/host/index.js"))],
    ];
    await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const deadline = Date.now() + 8 * 60_000;
    while (!fs.existsSync(results)) {
      if (Date.now() > deadline) {
        await page.screenshot({ path: path.join(base, "host-timeout.png") });
        return { passes: [], pending: [], failures: [{ title: "extension host suite", error: `no results after 8 minutes; see ${base}` }] };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const r = JSON.parse(fs.readFileSync(results, "utf8")) as HostResults;
    return { passes: r.passes, failures: r.failures, pending: r.pending };
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function runUiSuite(base: string, codeServer: string, node24: string, vsix: string, shots: string): Promise<Report> {
  const ws = path.join(base, "ui-ws");
  const ud = path.join(base, "ui-ud");
  const ext = path.join(base, "ui-ext");
  makeWorkspace(ws, path.join(base, "ui-cache"));
  writeUserSettings(ud, "Default Light Modern");
  installExtension({ bin: codeServer, node24, userDataDir: ud, extensionsDir: ext }, vsix);
  const server = await startCodeServer({
    bin: codeServer,
    node24,
    userDataDir: ud,
    extensionsDir: ext,
    workspace: ws,
    log: path.join(base, "ui-code-server.log"),
  });
  try {
    const steps: StepResult[] = await runUiTest({
      url: server.url,
      workspace: ws,
      userDataDir: ud,
      screenshots: shots,
      debugDir: base,
      python: TORCH_PYTHON,
      only: process.env.UNITSCOPE_UI_STEPS ? new RegExp(process.env.UNITSCOPE_UI_STEPS) : undefined,
    });
    return {
      passes: steps.filter((s) => s.status === "passed").map((s) => s.title),
      failures: steps.filter((s) => s.status === "failed").map((s) => ({ title: s.title, error: s.error ?? "" })),
      pending: steps.filter((s) => s.status === "pending").map((s) => `${s.title}${s.error ? ` (${s.error})` : ""}`),
    };
  } finally {
    await server.stop();
  }
}

async function runFreshSuite(base: string, codeServer: string, node24: string, vsix: string, tools: string): Promise<Report> {
  const steps = await runFreshInstall({ codeServer, node24, vsix, tools, base, samples: path.join(REPO_ROOT, "samples") });
  return {
    passes: steps.filter((s) => s.error === undefined).map((s) => s.title),
    failures: steps.filter((s) => s.error !== undefined).map((s) => ({ title: s.title, error: s.error! })),
    pending: [],
  };
}

function print(title: string, r: Report): void {
  console.log(`\n  ${title}`);
  for (const p of r.passes) console.log(`    ✔ ${p}`);
  for (const p of r.pending) console.log(`    - ${p}`);
  r.failures.forEach((f, i) => console.log(`    ${i + 1}) ${f.title}`));
}

async function main(): Promise<number> {
  const codeServer = need("UNITSCOPE_CODE_SERVER");
  const node24 = need("UNITSCOPE_NODE24");
  const only = process.env.UNITSCOPE_EDITOR_ONLY;
  // (scripts/editor-test.sh runs this from extension/: a relative folder means the repository's.)
  const shots = process.env.UNITSCOPE_SCREENSHOTS
    ? path.resolve(REPO_ROOT, process.env.UNITSCOPE_SCREENSHOTS)
    : path.join(EXTENSION_ROOT, "out/editor-screenshots");
  fs.mkdirSync(shots, { recursive: true });
  if (!fs.existsSync(DLL)) throw new Error(`the daemon is not built: ${DLL}`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-editor-"));
  const started = Date.now();
  const reports: [string, Report][] = [];
  if (!only || only === "host") reports.push(["extension tests in VS Code's extension host (code-server)", await runHostSuite(base, codeServer, node24)]);
  if (!only || only === "ui")
    reports.push(["UI test of the installed .vsix in VS Code (code-server)", await runUiSuite(base, codeServer, node24, need("UNITSCOPE_VSIX"), shots)]);
  if (!only || only === "fresh")
    reports.push([
      "a new user's install: the .vsix and the .NET tool in a fresh profile (code-server)",
      await runFreshSuite(base, codeServer, node24, need("UNITSCOPE_VSIX"), need("UNITSCOPE_TOOL_DIR")),
    ]);
  for (const [title, r] of reports) print(title, r);
  const all = reports.map(([, r]) => r);
  const passes = all.reduce((n, r) => n + r.passes.length, 0);
  const failures = all.flatMap((r) => r.failures);
  const pending = all.reduce((n, r) => n + r.pending.length, 0);
  console.log(`\n  ${passes} passing (${Math.round((Date.now() - started) / 1000)}s)`);
  if (pending) console.log(`  ${pending} pending`);
  if (failures.length) {
    console.log(`  ${failures.length} failing\n`);
    failures.forEach((f, i) => console.log(`  ${i + 1}) ${f.title}:\n     ${f.error.split("\n").slice(0, 12).join("\n     ")}\n`));
    console.log(`  logs and screenshots: ${base}`);
  } else {
    fs.rmSync(base, { recursive: true, force: true });
  }
  console.log(`  screenshots: ${shots}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    console.log("\n  0 passing\n  1 failing");
    process.exit(1);
  },
);
