import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AutograderStack } from '../../cdk/autograder-stack.js';
import { synthStack } from './stack-fixture.js';

describe('cdk-nag AwsSolutionsChecks', () => {
  let stack: AutograderStack;
  // Synthesis bundles three Lambdas with esbuild: minutes on a loaded machine.
  beforeAll(() => {
    ({ stack } = synthStack());
  }, 600_000);

  it('finds no unacknowledged error', () => {
    // Act
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    // Assess
    const findings = report.violations.map(
      (v) =>
        `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('gives every acknowledged finding a written reason', () => {
    // Act
    const acknowledgements = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .filter(([id]) => id.includes('AwsSolutions-'));
    // Assess
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(reason, id).toMatch(/\S.{30,}/);
    }
  });
});
