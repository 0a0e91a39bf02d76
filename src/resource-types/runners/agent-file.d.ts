/** The runner agent's executable, imported `with { type: "file" }`: its path (see agent-binary.ts). */
declare module "*/deployster-agent" {
  const path: string;
  export default path;
}
