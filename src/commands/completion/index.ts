/** `deployster completion bash|zsh|fish`: prints the completion script for that shell. */
import type { CAC } from "cac";
import { UserError } from "../../errors";
import type { Writer } from "../../ui/human";
import { completionModel } from "./model";
import { renderBash, renderFish, renderZsh } from "./shells";
import { EXIT_OK } from "../../exit-codes";

const RENDERERS = { bash: renderBash, zsh: renderZsh, fish: renderFish } as const;

/** `cli`: the command line whose commands and options are completed (src/cli.ts builds it). */
export function runCompletionCommand(shell: string | undefined, cli: CAC, o: { stdout?: Writer } = {}): number {
  const render = RENDERERS[shell as keyof typeof RENDERERS];
  if (!render) throw new UserError(`completion: expected bash, zsh or fish${shell ? ` (got '${shell}')` : ""}`);
  (o.stdout ?? process.stdout).write(render(completionModel(cli)));
  return EXIT_OK;
}
