import { IConstruct } from 'constructs';

/** Construct metadata type under which `Annotations.addWarning()` records a warning. */
export const WARNING_METADATA = 'hacp:warning';

/**
 * Warnings attached to a construct, as the AWS CDK's `Annotations` (neither cdk8s nor constructs has one): a warning
 * is recorded as construct metadata (`WARNING_METADATA`, readable with `warningsOf()`) and printed to stderr as
 * `warning: [<construct path>] <message>`, once per construct and message. Errors are validation results
 * (`node.addValidation()`), which fail the synth.
 */
export class Annotations {
  /** The annotations of `scope`. */
  public static of(scope: IConstruct): Annotations {
    return new Annotations(scope);
  }

  private constructor(private readonly scope: IConstruct) {}

  /** Records and prints a warning (again only if the message differs). */
  public addWarning(message: string): void {
    const node = this.scope.node;
    if (node.metadata.some((entry) => entry.type === WARNING_METADATA && entry.data === message)) return;
    node.addMetadata(WARNING_METADATA, message);
    process.stderr.write(`warning: [${node.path}] ${message}\n`);
  }
}

/** Every warning recorded on `scope` and the constructs below it, as `[<construct path>] <message>`. */
export function warningsOf(scope: IConstruct): string[] {
  return scope.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === WARNING_METADATA)
        .map((entry) => `[${construct.node.path}] ${entry.data}`),
    );
}
