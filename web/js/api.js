// The fetch wrapper every screen uses: JSON in and out, the CSRF header on every state-changing
// request, API errors as ApiError (status, code, message, field), and 401 handed to the app
// (which shows the sign-in form).

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

// generation changes with each session (sign in, sign out): a 401 to a request sent under an
// earlier one says nothing about the session now, and must not end it on screen.
const state = { csrf: null, onUnauthorized: null, generation: 0 };

export function setCsrf(token) { state.csrf = token || null; state.generation++; }
export function onUnauthorized(fn) { state.onUnauthorized = fn; }

// Builds "/api/v1/..." with a query from an object; empty values are left out.
export function url(path, query) {
  const u = new URL(path.startsWith('/') ? path : '/api/v1/' + path, location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) v.forEach((x) => u.searchParams.append(k, x));
      else u.searchParams.set(k, String(v));
    }
  }
  return u.pathname + u.search;
}

// opts: query (object), body (object: sent as JSON; FormData, Blob or string: sent as is),
// type (Content-Type for a string/Blob body), quiet401 (do not trigger the sign-in form),
// text (return the body as text), withStatus (answer {status, body}: e.g. 201 created or 200).
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.body instanceof FormData || opts.body instanceof Blob) {
    body = opts.body;
    if (opts.type) headers['Content-Type'] = opts.type;
  } else if (typeof opts.body === 'string') {
    body = opts.body;
    headers['Content-Type'] = opts.type || 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const generation = state.generation;
  let resp;
  try {
    resp = await fetch(url(path, opts.query), {
      method, headers, body, credentials: 'same-origin', cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached: ' + e.message, null);
  }
  if (resp.status === 204) return null;
  const ctype = resp.headers.get('Content-Type') || '';
  let payload = null;
  if (opts.text && resp.ok) return resp.text();
  if (ctype.includes('json')) {
    try { payload = await resp.json(); } catch { payload = null; }
  } else {
    payload = await resp.text();
  }
  if (!resp.ok) {
    const e = payload && payload.error ? payload.error : {};
    const err = new ApiError(resp.status, e.code || 'http_' + resp.status,
      e.message || resp.statusText || 'request failed (' + resp.status + ')', e.field);
    err.retryAfter = resp.headers.get('Retry-After');
    err.detail = payload;
    if (resp.status === 401 && !opts.quiet401 && state.onUnauthorized &&
        generation === state.generation) state.onUnauthorized();
    throw err;
  }
  if (opts.withStatus) return { status: resp.status, body: payload };
  return payload;
}

export const get = (path, query, opts = {}) => api('GET', path, { ...opts, query });
export const post = (path, body, opts = {}) => api('POST', path, { ...opts, body });
export const patch = (path, body, opts = {}) => api('PATCH', path, { ...opts, body });
export const put = (path, body, opts = {}) => api('PUT', path, { ...opts, body });
export const del = (path, opts = {}) => api('DELETE', path, opts);

// GET that answers null when the route does not exist (404): for parts of the API that a
// deployment may not have yet (indicators, sightings, stats).
export async function optional(path, query) {
  try {
    return await get(path, query);
  } catch (e) {
    if (e.status === 404 || e.status === 405) return null;
    throw e;
  }
}
