import { Command } from 'commander';

/** Registers the `hacp lb` command(s). (Placeholder: filled in by its issue.) */
export function registerLbCommands(_program: Command): void {}
