/**
 * The status page (GET /) and its assets (GET /ui/app.js, /ui/app.css). The script is the
 * bundled client (./client, preact) and the style sheet is ./client/style.css, both inlined
 * into the executable at build time. A strict Content-Security-Policy allows nothing but
 * this origin's own script, style and requests, and forbids framing (clickjacking).
 */
import { VERSION } from "../../version";
import { bundleBrowserScript, readTextFile } from "./bundle" with { type: "macro" };

const SCRIPT: string = bundleBrowserScript("./client/main.tsx");
const STYLE: string = readTextFile("./client/style.css");

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "Content-Security-Policy": CSP,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="deployster-version" content="${VERSION}">
<title>deployster</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<noscript>This page needs JavaScript. The same data is in the API: GET /v1/services, /v1/tasks, /v1/events.</noscript>
<div id="app"></div>
</body>
</html>
`;

export function pageResponse(): Response {
  return new Response(HTML, { headers: { "Content-Type": "text/html; charset=utf-8", ...SECURITY_HEADERS } });
}

const ASSETS: Record<string, { body: string; type: string }> = {
  "app.js": { body: SCRIPT, type: "text/javascript; charset=utf-8" },
  "app.css": { body: STYLE, type: "text/css; charset=utf-8" },
};

export function pageAsset(name: string): Response | undefined {
  const a = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!a) return undefined;
  return new Response(a.body, { headers: { "Content-Type": a.type, ...SECURITY_HEADERS } });
}
