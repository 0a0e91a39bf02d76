/**
 * HTTP status lines as Go's `resp.Status` prints them ("401 Unauthorized"), for the
 * deployctl-compatible `-- Response Status: <resp.Status>` line. Go takes the reason phrase from the
 * server's status line; Bun gives it to us as `statusText`. When a server sends none (HTTP/2,
 * or a bare status line) we fall back to Go's `http.StatusText` table.
 */
const GO_STATUS_TEXT: Record<number, string> = {
  100: "Continue", 101: "Switching Protocols",
  200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content",
  205: "Reset Content", 206: "Partial Content",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
  307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
  408: "Request Timeout", 409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed",
  413: "Request Entity Too Large", 414: "Request URI Too Long", 415: "Unsupported Media Type",
  416: "Requested Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a teapot",
  421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked", 424: "Failed Dependency",
  425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
  431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout", 505: "HTTP Version Not Supported",
};

/** `"<code> <text>"`, e.g. `formatStatus(401, "Unauthorized")` → `"401 Unauthorized"`. */
export function formatStatus(status: number, statusText?: string): string {
  const text = statusText?.trim() || GO_STATUS_TEXT[status] || "";
  return text ? `${status} ${text}` : String(status);
}
