import { IConstruct } from 'constructs';

/** Throws naming the prop when `value` is not a positive integer. */
export function checkPositive(prop: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${prop}: ${value} must be a positive integer`);
  return value;
}

/**
 * Runs the validations of `scope` and every construct below it (what `App.synth()` does before writing), for code
 * that renders charts with `chart.toJson()`; throws listing each error as `[<construct path>] <message>`.
 */
export function validateTree(scope: IConstruct): void {
  const errors = scope.node
    .findAll()
    .flatMap((construct) => construct.node.validate().map((error) => `[${construct.node.path}] ${error}`));
  if (errors.length) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
}
