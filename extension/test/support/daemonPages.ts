// The set-up every "real panel, real daemon" browser suite shares: skip with a line saying what is
// missing (Chromium, the daemon build, PyTorch), start the daemon with a cache of its own, initialize
// it, let the suite ask it for what its pages show, open Chromium; and undo all of it after. One
// helper, so a new panel's suite is its requests and its checks, not another copy of this.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import type { InitializeParams } from "../../src/protocol.generated";
import { DLL, removeCache, startDaemon, withTimeout, type Daemon } from "./daemon";
import { torchPythonAndDaemon } from "./python";
import { CHROMIUM, launch, SHOTS } from "./webviewPage";

export interface DaemonPagesSetup {
  /** A temporary folder of the suite's own for the files it makes (removed after the suite). */
  folder: string;
  /** An interpreter with PyTorch, when the suite asked for one (`torch: true`). */
  python?: string;
}

/** Filled in by the suite's `before`; read them in its tests only. */
export interface DaemonPages {
  daemon: Daemon;
  browser: Browser;
  folder: string;
}

/**
 * Registers the suite's before/after (call it directly inside `describe`). `prepare` gets the
 * initialized daemon and asks it for the results the pages show; a failure there carries the daemon's
 * stderr. The returned object's members are set once `before` has run.
 */
export function withDaemonPages(
  options: {
    /** Skip unless an interpreter with PyTorch is found (for suites that make fixtures with it). */
    torch?: boolean;
    /** What `initialize` sends; by default a client with no capabilities. */
    initialize?: InitializeParams;
  },
  prepare: (daemon: Daemon, setup: DaemonPagesSetup) => Promise<void>,
): DaemonPages {
  const pages = {} as DaemonPages;
  let cache: string | undefined;

  before(async function () {
    if (!CHROMIUM) {
      console.log("      SKIPPED: no Chromium at /usr/bin/chromium.");
      this.skip();
    }
    let python: string | undefined;
    if (options.torch) python = torchPythonAndDaemon(this);
    else if (!fs.existsSync(DLL)) {
      console.log("      SKIPPED: the daemon is not built.");
      this.skip();
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    pages.folder = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-pages-"));
    let daemon: Daemon;
    ({ daemon, cache } = startDaemon());
    pages.daemon = daemon;
    try {
      await withTimeout(daemon.request("initialize", options.initialize ?? { processId: process.pid, capabilities: {} }), 60_000, "initialize");
      await daemon.notify("initialized", {});
      await prepare(daemon, { folder: pages.folder, python });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- daemon stderr ---\n${daemon.log()}`, { cause: e });
    }
    pages.browser = await launch();
  });

  after(async () => {
    await pages.browser?.close();
    if (pages.daemon) await pages.daemon.close();
    if (cache) removeCache(cache);
    if (pages.folder) fs.rmSync(pages.folder, { recursive: true, force: true });
  });

  return pages;
}
