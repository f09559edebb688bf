import type { BackendName } from '../train/types.js';

/** Gradescope's container layout under its root (/autograder on Gradescope). */
export interface GradescopeLayout {
  /** The root: submission/, results/ and source/ live under it. */
  root: string;
  /** CIFAR-10 in the binary layout, fetched by setup.sh at image build time. */
  dataDir: string;
  backend?: BackendName;
}

/** What run_autograder did: graded one file, or explained why there was nothing to grade. */
export interface GradescopeRunOutcome {
  resultFile: string;
  /** The submission file graded, relative to submission/; null when none or several were found. */
  graded: string | null;
  score: number;
}
