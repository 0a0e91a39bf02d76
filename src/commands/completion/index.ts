/** `deployster completion bash|zsh|fish`: prints the completion script for that shell. */
import { buildCli } from "../../cli";
import { UserError } from "../../errors";
import type { Writer } from "../../ui/human";
import { completionModel } from "./model";
import { renderBash, renderFish, renderZsh } from "./shells";
import { EXIT_OK } from "../../exit-codes";

const RENDERERS = { bash: renderBash, zsh: renderZsh, fish: renderFish } as const;

export function runCompletionCommand(shell: string | undefined, o: { stdout?: Writer } = {}): number {
  const render = RENDERERS[shell as keyof typeof RENDERERS];
  if (!render) throw new UserError(`completion: expected bash, zsh or fish${shell ? ` (got '${shell}')` : ""}`);
  (o.stdout ?? process.stdout).write(render(completionModel(buildCli())));
  return EXIT_OK;
}
