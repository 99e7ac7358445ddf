/** A desk login over HTTP, as a browser does it: the form's token and cookie, then the POST. */
export async function deskLogin(url: string, name: string, password: string): Promise<{ status: number; session: string }> {
  const form = await fetch(`${url}/login`);
  const loginCookie = /kanshi_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1];
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const login = await fetch(`${url}/login`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ _csrf: token, name, password }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `kanshi_login=${loginCookie}` },
  });
  return { status: login.status, session: /kanshi_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0] ?? '' };
}
