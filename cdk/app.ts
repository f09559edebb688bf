import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AutograderStack } from './autograder-stack.js';
import { type AutograderSettings, readSettings, SettingsError } from './settings.js';

// `cdk deploy` resolves the account and region from the caller's AWS profile; the stack is
// environment-agnostic, so synth needs no credentials.
const app = new App();
let settings: AutograderSettings;
try {
  settings = readSettings(app.node);
} catch (error) {
  // A mistyped setting is the staff's to fix: one line naming the key, value and range, no stack.
  if (!(error instanceof SettingsError)) throw error;
  process.stderr.write(`Cifar10Autograder: ${error.message} (cdk.json "context", or -c)\n`);
  process.exit(1);
}
new AutograderStack(app, 'Cifar10Autograder', {
  description: 'CIFAR-10 autograder: S3 uploads, Lambda validation, AWS Batch GPU grading',
  settings,
});
// Every synth is checked against AWS Solutions rules; acknowledged findings carry their reasons.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
