/**
 * Completion scripts for bash, zsh and fish, rendered from the completion model. Each
 * completes the commands, each command's flags, the values of flags that take files,
 * directories or a fixed set of words, and manifests (files) as positional arguments.
 * `deployctl` (the same binary under that name) completes like `deployster ctl`.
 */
import type { CompletionCommand, CompletionOption } from "./model";

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const flagsOf = (options: CompletionOption[]) => [...new Set(options.flatMap((o) => o.flags))];

export function renderBash(commands: CompletionCommand[]): string {
  const options = commands.flatMap((c) => c.options);
  const byKind = (kind: string) => [...new Set(options.filter((o) => o.value.kind === kind).flatMap((o) => o.flags))].join("|");
  const choices = [...new Set(options.filter((o) => o.value.kind === "choice").map((o) => `    ${o.flags.join("|")}) COMPREPLY=($(compgen -W ${quote((o.value as { values: string[] }).values.join(" "))} -- "$cur")); return ;;`))];
  const cases = commands.map((c) => {
    const args = c.args.kind === "choice" ? `compgen -W ${quote(c.args.values.join(" "))} -- "$cur"` : c.args.kind === "files" ? `compgen -f -- "$cur"` : "true";
    return `    ${c.name}) opts=${quote(flagsOf(c.options).join(" "))}; args() { ${args}; } ;;`;
  });
  const ctl = commands.find((c) => c.name === "ctl");
  return `# bash completion for deployster (deployster completion bash)
_deployster_complete() {
  local cur prev cmd opts i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    ${byKind("file") || "--no-file-options"}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${byKind("dir") || "--no-dir-options"}) COMPREPLY=($(compgen -d -- "$cur")); return ;;
${choices.join("\n")}
  esac
  cmd="$1"
  if [ -z "$cmd" ]; then
    for ((i = 1; i < COMP_CWORD; i++)); do
      case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
    done
  fi
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W ${quote(commands.map((c) => c.name).join(" "))} -- "$cur"))
    return
  fi
  case "$cmd" in
${cases.join("\n")}
    *) opts=""; args() { compgen -f -- "$cur"; } ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(args)); fi
}
_deployster() { _deployster_complete ""; }
_deployctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W ${quote(flagsOf(ctl?.options ?? []).join(" "))} -- "$cur"))
  else COMPREPLY=($(compgen -W ${quote(ctl && ctl.args.kind === "choice" ? ctl.args.values.join(" ") : "")} -- "$cur")); fi
}
complete -o filenames -o bashdefault -F _deployster deployster
complete -o bashdefault -F _deployctl deployctl
`;
}

function zshSpec(o: CompletionOption): string[] {
  const desc = o.description.replace(/[[\]:]/g, " ");
  const action = o.value.kind === "file" ? ":file:_files" : o.value.kind === "dir" ? ":directory:_files -/" : o.value.kind === "choice" ? `:value:(${o.value.values.join(" ")})` : o.value.kind === "word" ? ":value: " : "";
  return o.flags.map((f) => quote(`${f}[${desc}]${action}`));
}

export function renderZsh(commands: CompletionCommand[]): string {
  const list = commands.map((c) => `    ${quote(`${c.name}:${c.description.replace(/:/g, " ")}`)}`).join("\n");
  const cases = commands.map((c) => {
    const args = c.args.kind === "files" ? quote("*:manifest:_files") : c.args.kind === "choice" ? quote(`1:argument:(${c.args.values.join(" ")})`) : "";
    return `    ${c.name}) _arguments -s ${[...c.options.flatMap(zshSpec), args].filter(Boolean).join(" ")} ;;`;
  });
  return `#compdef deployster deployctl
# zsh completion for deployster (deployster completion zsh)
_deployster() {
  local -a commands
  commands=(
${list}
  )
  if [[ $service == deployctl ]]; then words=(deployster ctl "\${words[@]:1}"); (( CURRENT++ )); fi
  if (( CURRENT == 2 )); then
    _describe -t commands 'deployster command' commands
    return
  fi
  shift words; (( CURRENT-- ))
  case $words[1] in
${cases.join("\n")}
  esac
}
compdef _deployster deployster deployctl
`;
}

export function renderFish(commands: CompletionCommand[]): string {
  const lines = ["# fish completion for deployster (deployster completion fish)", "complete -c deployster -f"];
  for (const c of commands) lines.push(`complete -c deployster -n __fish_use_subcommand -a ${c.name} -d ${quote(c.description)}`);
  for (const c of commands) {
    const when = `-n ${quote(`__fish_seen_subcommand_from ${c.name}`)}`;
    for (const o of c.options) {
      const names = o.flags.map((f) => (f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(" ");
      const value = o.value.kind === "file" ? " -r -F" : o.value.kind === "dir" ? " -r -a '(__fish_complete_directories)'" : o.value.kind === "choice" ? ` -r -f -a ${quote(o.value.values.join(" "))}` : o.value.kind === "word" ? " -r" : "";
      lines.push(`complete -c deployster ${when} ${names}${value} -d ${quote(o.description)}`);
    }
    if (c.args.kind === "files") lines.push(`complete -c deployster ${when} -F`);
    if (c.args.kind === "choice") lines.push(`complete -c deployster ${when} -a ${quote(c.args.values.join(" "))}`);
  }
  const ctl = commands.find((c) => c.name === "ctl");
  if (ctl && ctl.args.kind === "choice") {
    lines.push("complete -c deployctl -f", `complete -c deployctl -n __fish_use_subcommand -a ${quote(ctl.args.values.join(" "))}`);
    for (const o of ctl.options) lines.push(`complete -c deployctl ${o.flags.map((f) => (f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(" ")}${o.value.kind === "file" ? " -r -F" : o.value.kind === "word" ? " -r" : ""} -d ${quote(o.description)}`);
  }
  return `${lines.join("\n")}\n`;
}
