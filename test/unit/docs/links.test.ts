/**
 * The documentation that ships with the code stands alone: every relative link of the README
 * and of the reference docs resolves to a file of this repository (none leaves it), and the
 * worked example of PROTOCOL.md is, byte for byte, the fixture type the tests build and check
 * (fixtures/images/rt-example).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../../..");
const DOCS = ["README.md", "src/resource-types/PROTOCOL.md", "src/manifest/MANIFEST.md", "src/commands/ctl/CTL.md"];

function links(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l) && !l.startsWith("#"));
}

describe("reference docs", () => {
  for (const file of DOCS) {
    test(`${file}: relative links resolve inside the repository`, () => {
      const text = readFileSync(join(ROOT, file), "utf8");
      expect(text).not.toContain("shared/spec");
      for (const link of links(text)) {
        const target = resolve(dirname(join(ROOT, file)), link.split("#")[0]!);
        expect(relative(ROOT, target).startsWith(".."), `${file} links outside the repository: ${link}`).toBe(false);
        expect(existsSync(target), `${file} links to a missing file: ${link}`).toBe(true);
      }
    });
  }

  test("the README links every reference doc", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const doc of [...DOCS.slice(1), "src/server/openapi.json"]) expect(readme).toContain(`](${doc})`);
  });

  test("PROTOCOL.md's worked example is the rt-example fixture", () => {
    const text = readFileSync(join(ROOT, "src/resource-types/PROTOCOL.md"), "utf8");
    const example = text.slice(text.indexOf("## A complete example in sh"));
    const block = (lang: string) => {
      const m = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(example);
      return m?.[1];
    };
    expect(block("sh")).toBe(readFileSync(join(ROOT, "fixtures/images/rt-example/type.sh"), "utf8"));
    expect(block("dockerfile")).toBe(readFileSync(join(ROOT, "fixtures/images/rt-example/Dockerfile"), "utf8"));
  });

  test("the OpenAPI document is OpenAPI 3.1 with the 2020-12 dialect", () => {
    const doc = JSON.parse(readFileSync(join(ROOT, "src/server/openapi.json"), "utf8"));
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.jsonSchemaDialect).toBe("https://json-schema.org/draft/2020-12/schema");
  });
});
