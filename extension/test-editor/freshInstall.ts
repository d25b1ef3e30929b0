// The install a new user does, in a real VS Code: a fresh profile (empty user data and extensions
// folders, no settings anywhere), the packaged .vsix installed into it, the daemon installed as a
// .NET tool in ~/.dotnet/tools (code-server runs with a scratch HOME whose ~/.dotnet/tools is the
// tool scripts/install-tool.sh installed, and a PATH without any `unitscope`). The status bar must
// turn ready by itself, the daemon found as the tool, and hovers must work on the sample's script.
// Then, with the tool gone, the offer to install it: a notification whose button runs the install.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { installExtension, startCodeServer } from "./codeServer";
import { poll, STATUS, Workbench } from "./workbench";

export interface FreshInstallOptions {
  codeServer: string;
  node24: string;
  vsix: string;
  /** A folder holding the installed tool's `unitscope` command (`dotnet tool install --tool-path`). */
  tools: string;
  /** Scratch folder for the profile, the home, the workspace and the logs. */
  base: string;
  /** The repository's samples/ folder. */
  samples: string;
}

export interface FreshStep {
  title: string;
  error?: string;
}

/** PATH without the folders that hold a `unitscope` (a developer's own global tool would be found first). */
export function pathWithoutUnitScope(pathEnv: string): string {
  return pathEnv
    .split(":")
    .filter((dir) => dir && !fs.existsSync(path.join(dir, "unitscope")))
    .join(":");
}

export async function runFreshInstall(o: FreshInstallOptions): Promise<FreshStep[]> {
  const home = path.join(o.base, "fresh-home");
  const ws = path.join(o.base, "fresh-ws");
  const ud = path.join(o.base, "fresh-ud");
  const ext = path.join(o.base, "fresh-ext");
  fs.mkdirSync(path.join(home, ".dotnet"), { recursive: true });
  fs.symlinkSync(o.tools, path.join(home, ".dotnet", "tools"));
  fs.mkdirSync(ws, { recursive: true });
  for (const f of ["train_smallcnn.py", "smallcnn.pth", "smallcnn.classes.txt"]) fs.copyFileSync(path.join(o.samples, f), path.join(ws, f));
  const env = { HOME: home, PATH: pathWithoutUnitScope(process.env.PATH ?? "") };
  installExtension({ bin: o.codeServer, node24: o.node24, userDataDir: ud, extensionsDir: ext }, o.vsix);

  const server = await startCodeServer({
    bin: o.codeServer,
    node24: o.node24,
    userDataDir: ud,
    extensionsDir: ext,
    workspace: ws,
    env,
    log: path.join(o.base, "fresh-code-server.log"),
  });
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const steps: FreshStep[] = [];
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const ui = new Workbench(page);
  const step = async (title: string, fn: () => Promise<void>, needs = true) => {
    if (!needs) return void steps.push({ title, error: "not run: the previous step failed" });
    try {
      await fn();
      steps.push({ title });
    } catch (e) {
      const shot = path.join(o.base, `fresh-failed-${steps.length + 1}.png`);
      await page.screenshot({ path: shot }).catch(() => undefined);
      steps.push({ title, error: `${(e as Error).stack ?? e}\n(screenshot: ${shot})` });
    }
  };
  try {
    await step("a fresh profile with the .vsix and the .NET tool in ~/.dotnet/tools: the status bar turns ready, no settings touched", async () => {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}`);
      await page.waitForSelector(".monaco-workbench", { timeout: 90_000 });
      await ui.quickOpen("train_smallcnn.py");
      await page.locator(".monaco-editor .view-lines").first().waitFor();
      await ui.waitForText(STATUS, /UnitScope: no model/, 120_000);
      // Found as the tool, not through a setting, PATH or a build.
      const started = (await logLinesWhen(ud, (lines) => lines.some((l) => l.includes("Starting the daemon")))).find((l) => l.includes("Starting the daemon"));
      assert.ok(started, "the extension's log says how it started the daemon");
      assert.ok(started.includes(`Starting the daemon (tool): ${path.join(home, ".dotnet", "tools", "unitscope")}`), started);
      assert.ok(!fs.existsSync(path.join(ws, ".vscode")), "no workspace settings");
      const user = path.join(ud, "User", "settings.json");
      assert.ok(!fs.existsSync(user) || !fs.readFileSync(user, "utf8").includes("unitscope."), "no UnitScope user settings");
    });
    await step(
      "loads the sample checkpoint from the UnitScope view and hovers self.conv2 in the fresh profile",
      async () => {
        await page.locator(".activitybar a[aria-label='UnitScope']").click();
        const checkpoint = page.locator(".sidebar .monaco-list-row", { hasText: "smallcnn.pth" }).filter({ hasText: "KB" });
        await checkpoint.first().waitFor({ timeout: 30_000 });
        await checkpoint.first().click();
        await ui.waitForText(STATUS, /smallcnn\.pth/, 90_000);
        await ui.focusEditor("train_smallcnn.py");
        const script = fs.readFileSync(path.join(ws, "train_smallcnn.py"), "utf8").split("\n");
        const line = script.findIndex((l) => /\bself\.conv2\s*=/.test(l));
        const text = await ui.hover(line + 1, script[line]!.indexOf("conv2") + 2);
        assert.match(text, /conv2\s*— Conv2d, 32 units, output 32×32×32/);
        assert.match(text, /Not dissected yet — Dissect conv2/);
      },
      steps.at(-1)?.error === undefined,
    );
    await step(
      "with no daemon anywhere, a notification offers to install it: its one button runs the install, shows its output, and the daemon starts again",
      async () => {
        // The tool goes away, and the workspace becomes a UnitScope checkout whose install script (a
        // stand-in: the real one takes minutes and .ci/run tests it) puts the tool back.
        fs.unlinkSync(path.join(home, ".dotnet", "tools"));
        fs.mkdirSync(path.join(ws, "scripts"));
        fs.writeFileSync(path.join(ws, "scripts", "install-tool.sh"), `ln -s '${o.tools}' "$HOME/.dotnet/tools"\necho "stand-in install: linked the tool"\n`);
        fs.mkdirSync(path.join(ws, "server", "UnitScope.Cli"), { recursive: true });
        fs.writeFileSync(path.join(ws, "server", "UnitScope.Cli", "UnitScope.Cli.csproj"), "<Project />\n");
        await ui.command("UnitScope: Restart daemon");
        // In the notification center, where it stays after its toast hides.
        await ui.waitForText(STATUS, /UnitScope: stopped/, 60_000);
        await ui.command("Notifications: Show Notifications");
        const rows = page.locator(".notifications-center .monaco-list-row");
        const offer = rows.filter({ hasText: "UnitScope needs its daemon" }).first();
        await offer.waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
          throw new Error(`${e.message}\nnotifications: ${(await rows.allInnerTexts()).join(" / ")}`);
        });
        const text = await offer.locator(".notification-list-item-message").innerText();
        assert.equal(
          text,
          `UnitScope needs its daemon, which is not installed. "Install daemon" runs bash scripts/install-tool.sh (in ${ws}) and shows its output, then starts the daemon.`,
        );
        assert.deepEqual(await offer.locator(".monaco-button").allInnerTexts(), ["Install daemon"], "one button");
        await offer.locator(".monaco-button", { hasText: "Install daemon" }).click();
        await poll(
          page,
          () =>
            /stand-in\sinstall:\slinked\sthe\stool/.test(
              document.querySelector(".part.panel")?.textContent ?? "",
            ) /* (Monaco writes spaces as no-break spaces: \\s) */,
          undefined,
          60_000,
        );
        // The model loaded before is loaded again by the daemon found anew, as the tool.
        await ui.waitForText(STATUS, /smallcnn\.pth/, 120_000);
        const starts = (await logLinesWhen(ud, (lines) => lines.filter((l) => l.includes("Starting the daemon (tool)")).length >= 2)).filter((l) =>
          l.includes("Starting the daemon (tool)"),
        );
        assert.equal(starts.length, 2, starts.join("\n"));
      },
      steps.at(-1)?.error === undefined,
    );
  } finally {
    await browser.close();
    await server.stop();
  }
  return steps;
}

/** The log's lines once `ready` holds of them (VS Code writes the log a few seconds late), or after 30 s. */
async function logLinesWhen(userDataDir: string, ready: (lines: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lines = logLines(userDataDir);
    if (ready(lines) || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The lines of the extension's log channel ("UnitScope"), which VS Code writes under the user data folder. */
function logLines(userDataDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "UnitScope.log") found.push(...fs.readFileSync(p, "utf8").split("\n"));
    }
  };
  if (fs.existsSync(path.join(userDataDir, "logs"))) walk(path.join(userDataDir, "logs"));
  return found;
}
