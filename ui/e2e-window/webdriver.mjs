// A minimal W3C WebDriver client over fetch (Node ≥ 20): enough to drive the kiosk app through
// tauri-driver (which hands the session to Debian's WebKitWebDriver). No npm dependency.
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriver {
  constructor(url, sessionId) {
    this.url = url;
    this.sessionId = sessionId;
  }

  static async connect(url, capabilities, { attempts = 50 } = {}) {
    let lastError;
    for (let i = 0; i < attempts; i++) {
      try {
        const response = await fetch(`${url}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capabilities: { alwaysMatch: capabilities } }),
        });
        const body = await response.json();
        if (!response.ok) throw new Error(`new session: ${JSON.stringify(body.value)}`);
        return new WebDriver(url, body.value.sessionId);
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    throw new Error(`tauri-driver at ${url} did not start a session: ${lastError}`);
  }

  async command(method, path, body) {
    const response = await fetch(`${this.url}/session/${this.sessionId}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) {
      const error = new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
      error.webdriver = json.value?.error;
      throw error;
    }
    return json.value;
  }

  async find(css) {
    const value = await this.command('POST', '/element', { using: 'css selector', value: css });
    return value[ELEMENT];
  }

  async findAll(css) {
    const values = await this.command('POST', '/elements', { using: 'css selector', value: css });
    return values.map((value) => value[ELEMENT]);
  }

  /** Waits until `css` matches a displayed element; returns it. */
  async waitFor(css, { timeoutMs = 30000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        const element = await this.find(css);
        if (await this.command('GET', `/element/${element}/displayed`)) return element;
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`no visible ${css} after ${timeoutMs} ms (${last ?? 'present but hidden'})`);
  }

  async click(css, options) {
    const element = await this.waitFor(css, options);
    await this.command('POST', `/element/${element}/click`, {});
  }

  async type(css, text) {
    const element = await this.waitFor(css);
    await this.command('POST', `/element/${element}/value`, { text });
  }

  async text(css) {
    const element = await this.waitFor(css);
    return this.command('GET', `/element/${element}/text`);
  }

  async execute(script, args = []) {
    return this.command('POST', '/execute/sync', { script, args });
  }

  async executeAsync(script, args = []) {
    return this.command('POST', '/execute/async', { script, args });
  }

  /** A PNG of the window, as a Buffer. */
  async screenshot() {
    return Buffer.from(await this.command('GET', '/screenshot'), 'base64');
  }

  async close() {
    try {
      await fetch(`${this.url}/session/${this.sessionId}`, { method: 'DELETE' });
    } catch {
      // The app may already be gone.
    }
  }
}
