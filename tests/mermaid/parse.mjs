// Parse Mermaid diagrams with Mermaid itself. Each line on stdin is a JSON list of texts; for each, one line
// on stdout: a JSON list of {ok, type} or {ok, error}, in the same order. One process serves a whole test
// session: loading jsdom and Mermaid takes ~0.5 s, a parse a few milliseconds.
// Mermaid wants a DOM (DOMPurify): jsdom provides one.
import { createInterface } from "node:readline";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const results = [];
  for (const text of JSON.parse(line)) {
    try {
      const parsed = await mermaid.parse(text);
      results.push({ ok: true, type: parsed.diagramType });
    } catch (error) {
      results.push({ ok: false, error: String(error.message || error).split("\n").slice(0, 4).join(" | ") });
    }
  }
  process.stdout.write(JSON.stringify(results) + "\n");
}
