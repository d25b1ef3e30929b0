// Mocha's spec reporter, plus a closing line in the plain form CI counts:
// "extension: N passed, N failed, N skipped".
"use strict";
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats ?? {};
      // Printed after the spec epilogue, which is also written on "end".
      process.nextTick(() => console.log(`extension: ${s.passes ?? 0} passed, ${s.failures ?? 0} failed, ${s.pending ?? 0} skipped`));
    });
  }
}

module.exports = SummaryReporter;
