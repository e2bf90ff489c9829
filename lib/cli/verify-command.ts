import { Command } from 'commander';

/** Registers the `hacp verify` command(s). (Placeholder: filled in by its issue.) */
export function registerVerifyCommands(_program: Command): void {}
