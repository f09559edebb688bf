import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AutograderStack } from './autograder-stack.js';
import { readSettings } from './settings.js';

// `cdk deploy` resolves the account and region from the caller's AWS profile; the stack is
// environment-agnostic, so synth needs no credentials.
const app = new App();
new AutograderStack(app, 'Cifar10Autograder', {
  description: 'CIFAR-10 autograder: S3 uploads, Lambda validation, AWS Batch GPU grading',
  settings: readSettings(app.node),
});
// Every synth is checked against AWS Solutions rules; acknowledged findings carry their reasons.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
