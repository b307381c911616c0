// Small fetch wrapper: bearer token or session cookie, JSON in and out, problem+json errors as ApiError.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// Two ways to be signed in: a bearer token (the trust's API key), or the staff session cookie, whose
// changes must carry the session's CSRF token. `onSignedOut` hears a 401: the session has ended.
export function client(credential, { onSignedOut } = {}) {
  const { token, csrf } = typeof credential === "string" ? { token: credential } : (credential || {});
  return async function call(method, path, body, { raw = false, contentType = "application/json", accept } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (csrf && UNSAFE.has(method)) headers["X-CSRF-Token"] = csrf;
    if (accept) headers.Accept = accept;
    let payload;
    if (body !== undefined) {
      headers["Content-Type"] = contentType;
      payload = contentType === "application/json" ? JSON.stringify(body) : body;
    }
    const response = await fetch(path, { method, headers, body: payload, cache: "no-store", credentials: "same-origin" });
    if (!response.ok) {
      let problem = { title: response.statusText, status: response.status };
      try { problem = await response.json(); } catch { /* not JSON: keep the status text */ }
      const error = new ApiError(response.status, problem);
      if (response.status === 401) onSignedOut?.(error);
      throw error;
    }
    if (raw) return response;
    if (response.status === 204) return null;
    return response.json();
  };
}

// "phases[0].radius_m" (domain) and "phases.0.radius_m" (schema) name the same field.
export function normaliseLoc(loc) {
  return String(loc || "").replace(/\[(\d+)\]/g, ".$1").replace(/^(body|policy)\.?/, "");
}
