// `flotilla completion bash|zsh`: a completion script generated from the program's own command tree,
// so a new command or flag completes without touching this file. Object names (pods, nodes,
// ReplicaSets) are completed by asking the API (`flotilla get TYPE -o name`), as kubectl does.
import type { Command } from 'commander';

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Commands whose first argument is a resource type, and the types each takes. */
const TYPED_COMMANDS: Record<string, string[]> = {
  get: ['pods', 'nodes', 'replicasets', 'events'],
  describe: ['pod', 'node', 'rs'],
  delete: ['pod'],
  history: ['pod', 'node', 'rs'],
  scale: ['rs'],
  top: ['nodes'],
};

/** Commands whose first argument is an object of one type. */
const NAMED_COMMANDS: Record<string, string> = {
  logs: 'pods',
  explain: 'pods',
  cordon: 'nodes',
  uncordon: 'nodes',
  drain: 'nodes',
};

interface CommandInfo {
  name: string;
  flags: string[];
  subcommands: string[];
}

function flagsOf(command: Command): string[] {
  const flags = new Set<string>();
  for (const option of command.options) {
    if (option.long) flags.add(option.long);
    if (option.short) flags.add(option.short);
  }
  return [...flags].sort();
}

function describeTree(program: Command): { global: string[]; commands: CommandInfo[] } {
  return {
    global: flagsOf(program),
    commands: program.commands.map((command) => ({ name: command.name(), flags: flagsOf(command), subcommands: command.commands.map((sub) => sub.name()) })),
  };
}

function shellWords(words: readonly string[]): string {
  return words.join(' ');
}

export function bashCompletion(program: Command): string {
  const tree = describeTree(program);
  const name = program.name();
  const cases = tree.commands
    .map((command) => {
      const typed = TYPED_COMMANDS[command.name];
      const named = NAMED_COMMANDS[command.name];
      const words = [...command.subcommands, ...command.flags];
      let body = `COMPREPLY=( $(compgen -W "${shellWords(words)}" -- "$cur") )`;
      if (typed) {
        body = `if [ "$cword_in_command" -eq 1 ]; then COMPREPLY=( $(compgen -W "${shellWords(typed)} ${shellWords(command.flags)}" -- "$cur") ); else COMPREPLY=( $(compgen -W "$(__${name}_names "\${words[cmd_index+1]}") ${shellWords(command.flags)}" -- "$cur") ); fi`;
      } else if (named) {
        body = `COMPREPLY=( $(compgen -W "$(__${name}_names ${named}) ${shellWords(command.flags)}" -- "$cur") )`;
      }
      return `    ${command.name})\n      ${body}\n      ;;`;
    })
    .join('\n');
  return `# bash completion for ${name}; load it with: source <(${name} completion bash)
__${name}_names() {
  # Object names from the API (the server and token the CLI would use); nothing when it is unreachable.
  ${name} get "$1" -o name 2>/dev/null | sed 's|.*/||'
}

_${name}() {
  local cur words cword
  cur="\${COMP_WORDS[COMP_CWORD]}"
  words=("\${COMP_WORDS[@]}")
  cword=$COMP_CWORD
  local cmd="" cmd_index=0 i
  for ((i = 1; i < cword; i++)); do
    case "\${words[i]}" in
      -*) ;;
      *) cmd="\${words[i]}"; cmd_index=$i; break ;;
    esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=( $(compgen -W "${shellWords(tree.commands.map((c) => c.name))} ${shellWords(tree.global)}" -- "$cur") )
    return
  fi
  local cword_in_command=$((cword - cmd_index))
  case "$cmd" in
${cases}
  esac
}
complete -F _${name} ${name}
`;
}

export function zshCompletion(program: Command): string {
  // zsh runs bash completion functions through bashcompinit: one script to keep right.
  return `#compdef ${program.name()}
# zsh completion for ${program.name()}; load it with: source <(${program.name()} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}

export function completionScript(program: Command, shell: string): string | undefined {
  if (shell === 'bash') return bashCompletion(program);
  if (shell === 'zsh') return zshCompletion(program);
  return undefined;
}
