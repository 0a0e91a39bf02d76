/**
 * GET /v1/openapi.json: the OpenAPI 3.1 description of the v1 API (src/server/openapi.json,
 * bundled into the binary as text and served byte for byte). Authenticated like every other
 * path: the document describes nothing secret, but one rule for every request keeps the
 * server simple to reason about, and clients that can call the API can read it.
 */
import text from "./openapi.json" with { type: "text" };

export function openApiResponse(): Response {
  return new Response(text as unknown as string, { status: 200, headers: { "Content-Type": "application/json" } });
}
