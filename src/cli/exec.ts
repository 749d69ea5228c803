import type { Command } from 'commander';
import { execMachine } from '../harness/exec.js';
import { OUTCOMES } from '../harness/outcome.js';
import { reportError } from './output.js';

/**
 * `berth exec -- COMMAND...`: the base image's entrypoint. Checks the inputs against the image's
 * manifest, runs COMMAND (the image's CMD), checks the outputs, and exits with the run's outcome.
 */
export function registerExec(program: Command): void {
  const codes = (
    ['passed', 'invalid-output', 'machine-error', 'killed', 'not-applicable', 'invalid-input'] as const
  )
    .map((o) => `${OUTCOMES[o].exit} ${o}`)
    .join(', ');
  program
    .command('exec')
    .description(
      "inside a machine's image: check the inputs, run the machine's command, check the outputs " +
        "(the base image's ENTRYPOINT; trees from BERTH_INPUT/OUTPUT/STATUS/MANIFEST, default /envoyai/...)",
    )
    .argument('[command...]', "the machine's command and its arguments (write -- before it)")
    .addHelpText(
      'after',
      `\nExit codes: ${codes}. Every failure leaves its reason in <status>/error.\n` +
        'Example (a Dockerfile FROM the berth image): ENTRYPOINT ["berth", "exec", "--"] + CMD ["node", "dist/main.js"]',
    )
    .option('--writable-input', 'give the machine a writable copy of the input tree (through BERTH_INPUT)')
    .action(async (command: string[], flags: { writableInput?: boolean }) => {
      try {
        const result = await execMachine({
          command,
          ...(flags.writableInput ? { writableInput: true } : {}),
        });
        process.exitCode = result.exitCode;
      } catch (e) {
        process.exitCode = reportError(e, false);
      }
    });
}
