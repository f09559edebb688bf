/** Running this grader on Gradescope: the autograder zip, and the program it runs there. */
export { buildGradescopeBundle, compileRunner, type GradescopeBundle } from './bundle.js';
export { GradescopeBundleError } from './errors.js';
export { runGradescope } from './run.js';
export {
  CIFAR10_ARCHIVE,
  GRADESCOPE_ROOT_VARIABLE,
  NODE_RELEASE,
  runAutograderScript,
  setupScript,
} from './scripts.js';
export type * from './types.js';
