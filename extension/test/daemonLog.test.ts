import * as assert from "node:assert/strict";
import { daemonLogLine, type LogLevel } from "../src/daemonLog";

describe("daemon stderr lines", () => {
  const check = (line: string, level: LogLevel, text: string) => assert.deepEqual(daemonLogLine(line), { level, text }, line);

  it("reads the level after the timestamp and drops both", () => {
    check("18:35:23.170 INFO  stdio: connected", "info", "stdio: connected");
    check("18:35:23.170 WARN  slow load", "warn", "slow load");
    check("18:35:23.170 ERROR unitMap failed", "error", "unitMap failed");
    check("18:35:23.170 DEBUG hook removed", "debug", "hook removed");
  });

  it("reads a level without a timestamp", () => check("info: started", "info", "started"));

  it("treats anything else as an error, verbatim", () => {
    check("Unhandled exception. System.IO.IOException: boom", "error", "Unhandled exception. System.IO.IOException: boom");
    check("   at UnitScope.Server.Main()", "error", "   at UnitScope.Server.Main()");
    check("18:35:23.170 stdio: no level", "error", "18:35:23.170 stdio: no level");
  });
});
