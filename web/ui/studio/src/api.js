/* Same-origin requests with the session cookie and the page's CSRF token; every failure becomes a
 * readable Chinese message (the server's `detail` when it sent one). */

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

const STATUS_WORDS = {
  400: '请求无效', 401: '登录已失效，请重新登录', 403: '没有权限执行此操作', 404: '要找的内容不存在',
  409: '内容已被他人修改，请刷新页面后重试', 413: '提交的内容过大', 422: '提交的内容未通过检查',
  500: '服务器内部错误，请稍后重试', 502: '服务器暂时无法访问，请稍后重试', 503: '服务暂不可用，请稍后重试'
};

export class RequestFailed extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

async function parse(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { return await response.json(); } catch (ignored) { return null; }
  }
  return null;
}

export async function request(method, url, body, { accept = [] } = {}) {
  const headers = { Accept: 'application/json', 'X-CSRF-Token': csrfToken() };
  if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
  let response;
  try {
    response = await fetch(url, { method, credentials: 'same-origin', headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new RequestFailed(0, '无法连接服务器，请检查网络后重试。', null);
  }
  const data = await parse(response);
  if (response.ok || accept.includes(response.status)) {
    return { status: response.status, data };
  }
  const detail = data && (data.detail || data.title);
  const words = STATUS_WORDS[response.status] || `请求失败（HTTP ${response.status}）`;
  throw new RequestFailed(response.status, detail ? `${words}：${detail}` : `${words}。`, data);
}

export async function text(url) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (error) {
    throw new RequestFailed(0, '无法连接服务器，请检查网络后重试。', null);
  }
  if (!response.ok) {
    const data = await parse(response);
    throw new RequestFailed(response.status, (STATUS_WORDS[response.status] || `HTTP ${response.status}`) +
      (data && data.detail ? '：' + data.detail : ''), data);
  }
  return response.text();
}
