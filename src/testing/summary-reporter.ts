/**
 * Mocha's spec reporter plus one plain closing line, "mocha: N passed, N failed, N skipped", that CI
 * and people can read without knowing mocha's own summary format.
 */
import Mocha from 'mocha';

export default class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const stats = runner.stats;
      console.log(`mocha: ${stats?.passes ?? 0} passed, ${stats?.failures ?? 0} failed, ${stats?.pending ?? 0} skipped`);
    });
  }
}
