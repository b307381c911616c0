// Small fetch wrapper: bearer credential, JSON in and out, problem+json errors as ApiError.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

export function client(token) {
  return async function call(method, path, body, { raw = false, contentType = "application/json" } = {}) {
    const headers = { Authorization: `Bearer ${token}` };
    let payload;
    if (body !== undefined) {
      headers["Content-Type"] = contentType;
      payload = contentType === "application/json" ? JSON.stringify(body) : body;
    }
    const response = await fetch(path, { method, headers, body: payload, cache: "no-store" });
    if (!response.ok) {
      let problem = { title: response.statusText, status: response.status };
      try { problem = await response.json(); } catch { /* not JSON: keep the status text */ }
      throw new ApiError(response.status, problem);
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
