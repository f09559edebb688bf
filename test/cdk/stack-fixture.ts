import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AutograderStack } from '../../cdk/autograder-stack.js';
import { readSettings } from '../../cdk/settings.js';

/**
 * The stack as `cdk synth` builds it, with the given context. Synthesis bundles both Lambdas
 * with esbuild, so each test file builds it once, in beforeAll.
 */
export function synthStack(context: Record<string, unknown> = {}): {
  app: App;
  stack: AutograderStack;
  template: Template;
} {
  const app = new App({ context, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-test-')) });
  const stack = new AutograderStack(app, 'Cifar10Autograder', {
    settings: readSettings(app.node),
  });
  return { app, stack, template: Template.fromStack(stack) };
}
